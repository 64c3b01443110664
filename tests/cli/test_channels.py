"""``channels connect | list | disconnect`` and what ``sessions show`` says of deliveries."""

from __future__ import annotations

from datetime import timedelta

from agent_console.services import outbox
from agent_console.services.context import Ctx
from agent_console.services.outbox import Attempt

from .conftest import Console

HOOK = "http://127.0.0.1:9/hook"


def test_connect_prints_a_new_secret_once_and_list_never_shows_it(team: Console) -> None:
    made = team.json("channels", "connect", "standard_sms", "--webhook-url", HOOK, "--as", "dana")
    secret = made["secret"]
    assert secret.startswith("whsec_") and made["channel"]["connected"] is True
    assert made["channel"]["webhook_url"] == HOOK and "secret" not in made["channel"]

    listed = team.json("channels", "list")
    sms = next(c for c in listed if c["channel"] == "standard_sms")
    assert sms["connected"] and sms["connected_by"] == "dana"
    assert not next(c for c in listed if c["channel"] == "byoc")["connected"]
    text = team("channels", "list").stdout
    assert secret not in text and secret not in str(listed)
    assert "standard_sms" in text and HOOK in text

    # Re-pointing with a given secret: it is checked, stored, never echoed.
    again = team("channels", "connect", "standard_sms", "--webhook-url", HOOK + "2",
                 "--secret", secret, "--as", "dana")  # fmt: skip
    assert secret not in again.stdout and "connected" in again.stdout
    human = team("channels", "connect", "byoc", "--webhook-url", HOOK, "--as", "dana").stdout
    assert "signing secret (shown this once" in human


def test_disconnect_and_the_errors_of_connect(team: Console) -> None:
    team("channels", "connect", "standard_sms", "--webhook-url", HOOK, "--as", "dana")
    gone = team.json("channels", "disconnect", "standard_sms", "--as", "dana")
    assert gone["connected"] is False and gone["webhook_url"] is None
    missing = team("channels", "disconnect", "standard_sms", "--as", "dana", code=1)
    assert "is not connected" in missing.stderr

    refused = team("channels", "connect", "byoc", "--webhook-url", HOOK, "--as", "amir", code=1)
    assert "only admins can connect channels" in refused.stderr
    unknown = team("channels", "connect", "pigeon", "--webhook-url", HOOK, "--as", "dana", code=2)
    assert "unknown channel 'pigeon'" in unknown.stderr
    bad_url = team("channels", "connect", "byoc", "--webhook-url", "ftp://x/y", "--as", "dana",
                   code=2)  # fmt: skip
    assert "not a webhook URL" in bad_url.stderr
    bad_secret = team("channels", "connect", "byoc", "--webhook-url", HOOK, "--secret", "s3cret",
                      "--as", "dana", code=2)  # fmt: skip
    assert "whsec_" in bad_secret.stderr and "s3cret" not in bad_secret.stderr
    assert team.json("channels", "list")[0]["connected"] is False


def test_sessions_show_gives_each_lines_delivery(team: Console) -> None:
    team("channels", "connect", "standard_sms", "--webhook-url", HOOK, "--as", "dana")
    sid = team.json("inbound", "--customer", "Ana", "--channel", "standard_sms", "--text", "hi")
    team("route")
    session = int(sid["session_id"])
    first = team.json("send", "--as", "dana", str(session), "first reply")["message_id"]
    second = team.json("send", "--as", "dana", str(session), "second reply")["message_id"]

    async def deliver(ctx: Ctx) -> None:
        batch = await outbox.claim(ctx, "w", lease=timedelta(seconds=30))
        await outbox.complete(
            ctx, "w", [Attempt(batch[0].outbox_id, True, 200)], [batch[1].outbox_id]
        )
        [again] = await outbox.claim(ctx, "w", lease=timedelta(seconds=30))
        await outbox.complete(ctx, "w", [Attempt(again.outbox_id, False, 503)])

    team.services(deliver)
    shown = team.json("sessions", "show", str(session))
    assert shown["channel_connected"] is True
    by_id = {m["id"]: m["delivery"] for m in shown["messages"]}
    assert by_id[first]["state"] == "sent" and by_id[first]["at"]
    assert by_id[second]["state"] == "retrying" and by_id[second]["error"] == "HTTP 503"
    assert by_id[second]["next_attempt_at"] and by_id[second]["attempts"] == 1
    customer_line = next(m for m in shown["messages"] if m["author_kind"] == "customer")
    assert customer_line["delivery"] is None

    text = team("sessions", "show", str(session)).stdout
    assert "first reply  [sent " in text
    assert "second reply  [not delivered yet: HTTP 503; next try " in text

    team("channels", "disconnect", "standard_sms", "--as", "dana")
    other = team.json("inbound", "--customer", "Bo", "--channel", "standard_sms", "--text", "yo")
    plain = team("sessions", "show", str(other["session_id"])).stdout
    assert "Standard SMS is not connected: nothing here is sent to the customer" in plain


def test_gateway_command_checks_its_options(run: Console) -> None:
    help_text = run("gateway", "--help").stdout
    for option in (
        "--host", "--port", "--workers", "--timeout", "--lease", "--route", "--pulse-every",
        "--pulse-wakeups",
    ):  # fmt: skip
        assert option in help_text
    assert run("gateway", "--pulse-every", "5", code=2).stderr  # at most a second apart
    assert run("gateway", "--pulse-wakeups", "-1", code=2).stderr
    bad = run("gateway", "--timeout", "30", "--lease", "10", code=2)
    assert "the lease must be longer than the timeout" in bad.stderr
