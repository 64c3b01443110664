"""``agent-console floor``: the supervisor board from the shell (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from agent_console.services.context import Ctx
from agent_console.store.models import Agent, Session

from .conftest import Console

AGENT_KEYS = {
    "id",
    "name",
    "is_admin",
    "state",
    "presence",
    "away_reason",
    "presence_since",
    "presence_seconds",
    "presence_by",
    "presence_note",
    "used",
    "capacity",
    "active",
    "inactive",
    "customers_waiting",
    "longest_wait_since",
    "longest_wait_seconds",
}
QUEUE_KEYS = {"channel", "channel_name", "waiting", "oldest_since", "oldest_wait_seconds"}
TOTAL_KEYS = {
    "agents",
    "by_state",
    "used",
    "capacity",
    "active",
    "inactive",
    "waiting",
    "customers_waiting",
    "longest_wait_since",
    "longest_wait_seconds",
}
CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def _inbound(run: Console, customer: str, channel: str = "standard_sms") -> int:
    data = run.json("inbound", "--customer", customer, "--channel", channel, "--text", "hi")
    return int(data["session_id"])


def _set(
    run: Console, model: type[Agent] | type[Session], key: int | str, **values: object
) -> None:
    """Write columns no command sets yet (the times, the supervisor's note) directly."""
    column = Agent.name if model is Agent else Session.id

    async def go(ctx: Ctx) -> None:
        async with ctx.db.write() as conn:
            await conn.execute(update(model).where(column == key).values(**values))

    run.services(go)


def _ago(**kw: float) -> datetime:
    return datetime.now(UTC) - timedelta(**kw)


@pytest.fixture
def board(run: Console) -> Console:
    """root (admin, never signed in), dana (Busy, 2 Active + 1 Inactive), amir (Away: Lunch,
    1 Active), lee (Offline) and ghost (never signed in); 3 sessions in the queues."""
    run("agents", "add", "root", "--admin")
    run("agents", "add", "dana", "--capacity", "5", "--perm", "messaging_agent")
    run("agents", "add", "amir", "--capacity", "2", "--perm", "messaging_agent")
    run("agents", "add", "lee", "--perm", "messaging_agent")
    run("agents", "add", "ghost", "--perm", "messaging_agent")
    run("settings", "set", "capacity_model", "status-based", "--as", "root")
    run("presence", "dana", "online")
    a, b, c = (_inbound(run, n) for n in ("Ana", "Bo", "Cy"))
    run("route")
    run("send", str(c), "Anything else?", "--as", "dana")  # Cy has her answer: not waiting
    run("sessions", "inactive", str(c), "--as", "dana")
    run("presence", "dana", "busy")
    run("presence", "amir", "online")
    d = _inbound(run, "Di", "enhanced_whatsapp")
    run("route")
    run("presence", "amir", "busy", "--reason", "Lunch")
    run("presence", "lee", "online")
    run("presence", "lee", "offline")
    q1, q2 = _inbound(run, "Ed"), _inbound(run, "Fa", "enhanced_whatsapp")
    q3 = _inbound(run, "Gil", "enhanced_whatsapp")
    # The waits and the times in presence, relative to now (the CLI runs on the real clock).
    _set(run, Session, a, customer_waiting_since=_ago(minutes=5, seconds=20))
    _set(run, Session, b, customer_waiting_since=_ago(minutes=2, seconds=20))
    _set(run, Session, d, customer_waiting_since=_ago(seconds=20))
    _set(run, Session, q1, customer_waiting_since=_ago(minutes=30, seconds=20))
    for q, ago in ((q2, _ago(minutes=7, seconds=20)), (q3, _ago(minutes=3, seconds=20))):
        _set(run, Session, q, created_at=ago, customer_waiting_since=ago)
    _set(run, Agent, "dana", presence_since=_ago(minutes=12, seconds=20))
    _set(run, Agent, "amir", presence_since=_ago(hours=1, minutes=5, seconds=20))
    _set(run, Agent, "lee", presence_since=_ago(minutes=40, seconds=20),
         presence_by="root", presence_note="sent home")  # fmt: skip
    return run


def test_the_json_shape_and_figures(board: Console) -> None:
    data = board.json("floor", "--as", "root")
    assert set(data) == {"at", "sort", "reverse", "filter", "agents", "queues", "totals"}
    assert (data["sort"], data["reverse"]) == ("state", False)
    assert data["filter"] == {"states": [], "name": ""}
    assert datetime.fromisoformat(data["at"]).tzinfo is not None
    for agent in data["agents"]:
        assert set(agent) == AGENT_KEYS
    for queue in data["queues"]:
        assert set(queue) == QUEUE_KEYS
    assert set(data["totals"]) == TOTAL_KEYS

    # By state (Online, Busy, Offline, Logged out), then the longest in it first.
    rows = {a["name"]: a for a in data["agents"]}
    assert [a["name"] for a in data["agents"]] == ["amir", "dana", "lee", "ghost", "root"]
    assert [a["state"] for a in data["agents"]] == ["Busy", "Busy", "Offline", "Logged out",
                                                    "Logged out"]  # fmt: skip
    dana, amir, lee = rows["dana"], rows["amir"], rows["lee"]
    assert (dana["used"], dana["capacity"], dana["active"], dana["inactive"]) == (2, 5, 2, 1)
    assert dana["customers_waiting"] == 2
    assert 320 <= dana["longest_wait_seconds"] < 380
    assert 740 <= dana["presence_seconds"] < 800
    assert datetime.fromisoformat(dana["longest_wait_since"]) < datetime.fromisoformat(data["at"])
    assert (amir["presence"], amir["away_reason"], amir["active"], amir["used"]) == (
        "Busy",
        "Lunch",
        1,
        1,
    )
    assert (lee["presence"], lee["presence_by"], lee["presence_note"]) == (
        "Offline",
        "root",
        "sent home",
    )
    assert rows["ghost"]["presence_since"] is None and rows["ghost"]["presence_seconds"] is None
    assert rows["root"]["is_admin"] is True

    queues = {q["channel"]: q for q in data["queues"]}
    assert [q["channel"] for q in data["queues"][:2]] == ["enhanced_whatsapp", "standard_sms"]
    assert queues["enhanced_whatsapp"]["waiting"] == 2
    assert 440 <= queues["enhanced_whatsapp"]["oldest_wait_seconds"] < 500
    assert queues["standard_sms"]["waiting"] == 1
    assert 1820 <= queues["standard_sms"]["oldest_wait_seconds"] < 1880
    assert queues["byoc"] == {
        "channel": "byoc",
        "channel_name": "Bring Your Own Channel",
        "waiting": 0,
        "oldest_since": None,
        "oldest_wait_seconds": None,
    }

    totals = data["totals"]
    assert totals["by_state"] == {"Online": 0, "Busy": 2, "Offline": 1, "Logged out": 2}
    assert (totals["agents"], totals["used"], totals["capacity"]) == (5, 3, 5 + 2 + 5 + 5 + 5)
    assert (totals["active"], totals["inactive"], totals["waiting"]) == (3, 1, 3)
    assert totals["customers_waiting"] == 3
    assert totals["longest_wait_since"] == dana["longest_wait_since"]


def test_the_table(board: Console) -> None:
    lines = board("floor", "--as", "root").stdout.splitlines()
    assert lines[0].startswith("floor at ") and lines[0].endswith("sorted by presence")
    header = lines[1].split()
    assert header == ["AGENT", "PRESENCE", "TIME", "USED", "ACTIVE", "INACTIVE", "WAITING",
                      "LONGEST", "SET", "BY"]  # fmt: skip
    rows = {line.split()[0]: line for line in lines[2:7]}
    amir = rows["amir"].split()
    assert amir[:9] == ["amir", "Away:", "Lunch", "1h", "5m", "1/2", "1", "0", "1"]
    assert len(amir) == 10 and amir[9].endswith("s")  # waiting for some 20 seconds
    assert rows["dana"].split() == ["dana", "Busy", "12m", "2/5", "2", "1", "2", "5m"]
    assert rows["lee"].split() == ["lee", "Offline", "40m", "0/5", "0", "0", "0", "-", "root:",
                                   "sent", "home"]  # fmt: skip
    assert rows["ghost"].split() == ["ghost", "Logged", "out", "-", "0/5", "0", "0", "0", "-"]
    # The columns line up: every row's USED starts where the header's does.
    at = lines[1].index("USED")
    assert all(line[at:].split()[0].count("/") == 1 for line in lines[2:7])

    queue = lines.index(next(line for line in lines if line.startswith("QUEUE")))
    assert lines[queue + 1].split() == ["Enhanced", "WhatsApp", "2", "7m"]
    assert lines[queue + 2].split() == ["Standard", "SMS", "1", "30m"]
    total = lines[-1]
    assert total.startswith("total: 5 agents (0 Online, 2 Busy, 1 Offline, 2 Logged out)")
    assert "3/22 units used; 3 Active, 1 Inactive" in total
    assert "3 customers waiting for a reply (longest 5m); 3 in the queues" in total


def test_sort_reverse_and_filters(board: Console) -> None:
    def names(*args: str) -> list[str]:
        return [a["name"] for a in board.json("floor", "--as", "root", *args)["agents"]]

    assert names("--sort", "name") == ["amir", "dana", "ghost", "lee", "root"]
    assert names("--sort", "NAME", "--reverse") == ["root", "lee", "ghost", "dana", "amir"]
    assert names("--sort", "wait") == ["dana", "amir", "ghost", "lee", "root"]
    assert names("--sort", "sessions") == ["dana", "amir", "ghost", "lee", "root"]
    assert names("--sort", "load")[:2] == ["amir", "dana"]  # 1/2 before 2/5
    assert names("--sort", "time") == ["amir", "lee", "dana", "ghost", "root"]
    assert names("--state", "busy") == ["amir", "dana"]
    assert names("--state", "logged-out", "--state", "offline") == ["lee", "ghost", "root"]
    assert names("--name", "A") == ["amir", "dana"]
    assert names("--name", "a", "--state", "online") == []

    data = board.json("floor", "--as", "root", "--state", "logged-out", "--state", "busy",
                      "--name", "o", "--sort", "time", "--reverse")  # fmt: skip
    assert data["filter"] == {"states": ["Busy", "Logged out"], "name": "o"}
    assert (data["sort"], data["reverse"]) == ("time", True)
    assert data["totals"]["agents"] == 5  # the totals are the whole floor's

    shown = board("floor", "--as", "root", "--name", "zz").stdout
    assert "showing 0 of 5 agents: name contains 'zz'" in shown
    assert "no agent matches" in shown
    bad = board("floor", "--as", "root", "--state", "away", code=2)
    assert "'away' is not one of" in bad.stderr
    assert board("floor", "--as", "root", "--sort", "age", code=2).exit_code == 2


def test_a_non_admin_is_refused(board: Console) -> None:
    refused = board("floor", "--as", "dana", code=1)
    assert refused.stdout == ""
    assert refused.stderr == (
        "agent-console: error: only admins can open the supervisor board: dana is not an admin\n"
    )
    assert "unknown agent 'nobody'" in board("floor", "--as", "nobody", code=1).stderr
    assert "--as NAME" in board("floor", code=2).stderr


def test_an_empty_floor(run: Console) -> None:
    run("agents", "add", "root", "--admin")
    data = run.json("floor", "--as", "root")
    assert [a["name"] for a in data["agents"]] == ["root"]
    assert all(q["waiting"] == 0 for q in data["queues"]) and len(data["queues"]) == 11
    assert data["totals"]["longest_wait_seconds"] is None
    assert "longest -); 0 in the queues" in run("floor", "--as", "root").stdout


def test_hostile_names_and_notes_do_not_break_the_table(board: Console) -> None:
    # Names and notes as another writer (or an older version) might have stored them.
    evil = "Eve\x1b[2J\u202e\x9b31m[/bold]\nsecond"
    wide = "李小龍" * 20
    _set(board, Agent, "ghost", name=evil)
    _set(board, Agent, "lee", name=wide, presence_by="root\x07",
         presence_note="\x1b]52;c;aGk=\x07 gone\n" + "x" * 500)  # fmt: skip
    result = board("floor", "--as", "root")
    for bad in CONTROLS:
        assert bad not in result.stdout, repr(result.stdout)
    lines = result.stdout.splitlines()
    body = lines[2:7]
    assert len(body) == 5  # one line per agent: no line break got through
    # Every row still has its USED cell under the header's, whatever the name's width.
    from agent_console.cli.output import width

    at = width(lines[1][: lines[1].index("USED")])
    for line in body:
        cut, seen = 0, 0
        while seen < at:
            seen += width(line[cut])
            cut += 1
        assert line[cut:].split()[0].count("/") == 1, line
    assert max(width(line) for line in body) < 200  # long notes are cut

    data = board.json("floor", "--as", "root")
    names = {a["name"] for a in data["agents"]}
    assert evil in names and wide in names  # JSON keeps the text exact
    raw = board("floor", "--as", "root", "--json").stdout
    for bad in CONTROLS:
        assert bad not in raw
