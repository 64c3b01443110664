"""Conversations and the Messaging Sessions list from the shell (R1-R4, R11, R12)."""

from __future__ import annotations

import json
from typing import Any

from agent_console.services import bulk
from agent_console.services.context import Ctx

from .conftest import Console

SESSION_KEYS = {
    "id", "status", "channel", "channel_kind", "family", "owner", "customer", "initiated_by",
    "capacity_model", "units", "created_at", "ended_at",
}  # fmt: skip


def _inbound(run: Console, customer: str, channel: str = "standard_sms", text: str = "hi") -> int:
    data = run.json("inbound", "--customer", customer, "--channel", channel, "--text", text)
    return int(data["session_id"])


def _routed(run: Console, *customers: str, channel: str = "standard_sms") -> list[int]:
    ids = [_inbound(run, c, channel) for c in customers]
    run("route")
    return ids


def test_inbound_starts_a_session_then_joins_it(team: Console) -> None:
    first = team.json("inbound", "--customer", "Ana", "--channel", "standard_sms", "--text", "a")
    assert first["new_session"] is True and first["status"] == "Waiting"
    again = team.json("inbound", "--customer", "Ana", "--channel", "standard_sms", "--text", "b")
    assert again["session_id"] == first["session_id"] and again["new_session"] is False
    human = team("inbound", "--customer", "Bo", "--channel", "enhanced_whatsapp", "--text", "x")
    assert "Waiting" in human.stdout and "S-" in human.stdout


def test_inbound_on_an_unknown_channel_exits_2(team: Console) -> None:
    result = team("inbound", "--customer", "Ana", "--channel", "fax", "--text", "hi", code=2)
    assert "unknown channel 'fax'" in result.stderr and "standard_sms" in result.stderr


def test_route_assigns_waiting_work(team: Console) -> None:
    a = _inbound(team, "Ana")
    b = _inbound(team, "Bo")
    data = team.json("route", "--limit", "1")
    assert data["count"] == 1 and data["assigned"] == [{"session_id": a, "agent": "dana"}]
    human = team("route").stdout
    assert f"S-{b} -> dana" in human and "routed 1 session" in human


def test_outbound_and_send(team: Console) -> None:
    started = team.json(
        "outbound", "--as", "dana", "--customer", "Cy", "--channel", "enhanced_sms",
        "--text", "Hello Cy",
    )  # fmt: skip
    sid = started["session_id"]
    assert started["status"] == "Active"
    sent = team.json("send", "--as", "dana", f"S-{sid}", "Anything else?")
    assert sent["session_id"] == sid and isinstance(sent["message_id"], int)
    assert f"sent to S-{sid}" in team("send", "--as", "dana", str(sid), "Bye").stdout
    refused = team("send", "--as", "amir", str(sid), "me too", code=1)
    assert "not the owner" in refused.stderr


def test_outbound_without_permission_is_refused(team: Console) -> None:
    chat = "enhanced_web_chat_v1"  # enhanced chat: amir lacks the enhanced chat permissions
    result = team("outbound", "--as", "amir", "--customer", "Cy", "--channel", chat,
                  "--text", "hi", code=1)  # fmt: skip
    assert "missing permission" in result.stderr


def test_list_json_shape_filters_and_keyset_pages(team: Console) -> None:
    ids = _routed(team, "Ana", "Bo", "Cy")
    waiting = _inbound(team, "Di", "enhanced_whatsapp")
    page = team.json("sessions", "list", "--limit", "2")
    assert [s["id"] for s in page["sessions"]] == [waiting, ids[2]]
    assert page["total"] == 4 and page["next_after"] == ids[2]
    assert set(page["sessions"][0]) >= SESSION_KEYS
    rest = team.json("sessions", "list", "--limit", "2", "--after", f"S-{page['next_after']}")
    assert [s["id"] for s in rest["sessions"]] == [ids[1], ids[0]]
    assert rest["next_after"] is None
    oldest = team.json("sessions", "list", "--oldest-first", "--limit", "1")
    assert oldest["sessions"][0]["id"] == ids[0]

    active = team.json("sessions", "list", "--status", "active", "--owner", "dana")
    assert {s["id"] for s in active["sessions"]} == set(ids)
    assert all(s["status"] == "Active" and s["owner"] == "dana" for s in active["sessions"])
    alone = team.json("sessions", "list", "--unassigned", "--channel", "enhanced_whatsapp")
    assert [s["id"] for s in alone["sessions"]] == [waiting]
    assert alone["sessions"][0]["family"] == "messaging"
    assert alone["sessions"][0]["channel_kind"] == "enhanced"
    assert team.json("sessions", "list", "--older-than", "1h")["sessions"] == []
    assert len(team.json("sessions", "list", "--newer-than", "1d")["sessions"]) == 4
    assert team.json("sessions", "list", "--customer", "Bo")["sessions"][0]["id"] == ids[1]


def test_list_human_output_has_a_next_page_hint(team: Console) -> None:
    ids = _routed(team, "Ana", "Bo", "Cy")
    out = team("sessions", "list", "--limit", "2").stdout
    assert out.splitlines()[0].split() == [
        "ID", "STATUS", "CHANNEL", "OWNER", "CUSTOMER", "UNITS", "CREATED",
    ]  # fmt: skip
    assert f"S-{ids[2]}" in out and "Active" in out and "Standard SMS" in out
    assert "showing 2 of 3 sessions" in out
    assert f"next page: --after S-{ids[1]}" in out
    assert "no sessions match" in team("sessions", "list", "--status", "Ended").stdout


def test_show_json_shape(team: Console) -> None:
    [sid] = _routed(team, "Ana")
    team("send", "--as", "dana", str(sid), "Hello Ana")
    team("settings", "set", "csat_on_agent_end", "on", "--as", "dana")
    team("sessions", "end", str(sid), "--as", "dana")
    data = team.json("sessions", "show", f"S-{sid}")
    assert set(data) >= SESSION_KEYS
    assert data["id"] == sid and data["status"] == "Ended" and data["ended_at"] is not None
    kinds = [(m["author_kind"], m["author"]) for m in data["messages"]]
    assert kinds == [("customer", "Ana"), ("agent", "dana"), ("system", "system")]
    assert {"author_kind", "author", "text", "at"} <= set(data["messages"][0])
    assert data["messages"][2]["text"].startswith("Session ended by dana")
    end = data["end"]
    assert {"actor_kind", "actor", "surface", "at", "reason"} <= set(end)
    assert (end["actor_kind"], end["actor"], end["surface"]) == ("agent", "dana", "conversation")
    assert len(data["csat_requests"]) == 1
    actions = {a["name"]: a for a in data["actions"]}
    assert set(next(iter(actions.values()))) == {"name", "allowed", "reason"}
    assert (
        actions["End Chat"]["allowed"] is False and "already ended" in actions["End Chat"]["reason"]
    )


def test_show_human_and_actions_as_another_agent(team: Console) -> None:
    [sid] = _routed(team, "Ana")
    out = team("sessions", "show", str(sid), "--as", "amir").stdout
    assert out.startswith(f"S-{sid}  Active  Standard SMS (messaging, standard)")
    assert "customer Ana: hi" in out
    assert "actions for amir:" in out
    assert "not the owner" in out or "owned by dana" in out
    assert team.json("sessions", "show", str(sid))["end"] is None


def test_r1_end_chat_from_the_conversation(team: Console) -> None:
    [sid] = _routed(team, "Ana")
    data = team.json("sessions", "end", f"S-{sid}", "--as", "dana")
    assert {"session_id": data["session_id"], "result": data["result"]} == {
        "session_id": sid,
        "result": "ended",
    }
    assert "close the tab to free capacity" in data["reason"]  # R2, tab-based
    assert data["results"] == [{"session_id": sid, "result": "ended", "reason": data["reason"]}]
    assert data["bulk_id"] is None and data["ended"] == 1 and data["skipped"] == 0


def test_ending_a_single_session_that_is_skipped_exits_1(team: Console) -> None:
    [sid] = _routed(team, "Ana")
    result = team("sessions", "end", str(sid), "--as", "amir", code=1)
    assert "skipped" in result.stdout and "not the owner" in result.stdout
    assert result.stderr.startswith(f"agent-console: error: S-{sid} not ended: not the owner")
    skipped = team.json("sessions", "end", str(sid), "--as", "amir", code=1)
    assert skipped["result"] == "skipped"
    assert team.json("sessions", "show", str(sid))["status"] == "Active"


def test_r11_several_ids_report_per_row_and_exit_0(team: Console) -> None:
    a, b = _routed(team, "Ana", "Bo")
    team("sessions", "end", str(a), "--as", "dana")
    out = team("sessions", "end", str(a), str(b), "S-999", "--as", "dana").stdout
    assert f"S-{a}" in out and "already ended" in out
    assert f"S-{b}" in out and "no session S-999" in out
    assert "1 ended, 2 skipped (of 3)" in out


def test_dry_run_changes_nothing(team: Console) -> None:
    a, b = _routed(team, "Ana", "Bo")
    data = team.json("sessions", "end", str(a), str(b), "--as", "dana", "--dry-run")
    assert data["dry_run"] is True and data["will_end"] == 2
    assert [r["will"] for r in data["rows"]] == ["end", "end"]
    human = team("sessions", "end", str(a), "--as", "amir", "--dry-run").stdout
    assert "skip" in human and "not the owner" in human and "dry run" in human
    listed = team.json("sessions", "list", "--status", "Active")["sessions"]
    assert {s["id"] for s in listed} == {a, b}


def test_r3_row_end_session_only_on_standard_channels(team: Console) -> None:
    [std] = _routed(team, "Ana")
    [enh] = _routed(team, "Bo", channel="enhanced_whatsapp")
    ok = team.json("sessions", "end", str(std), "--as", "dana", "--surface", "row")
    assert ok["result"] == "ended"
    refused = team.json("sessions", "end", str(enh), "--as", "dana", "--surface", "row", code=1)
    assert "standard channels" in refused["reason"]
    shown = team.json("sessions", "show", str(std))
    assert shown["end"]["surface"] == "row"


def test_r3_list_end_is_a_persisted_bulk(team: Console) -> None:
    a, b = _routed(team, "Ana", "Bo")
    data = team.json("sessions", "end", str(a), str(b), "--as", "dana", "--surface", "list")
    assert isinstance(data["bulk_id"], int) and data["status"] == "completed"
    assert data["ended"] == 2 and data["pending"] == 0
    status = team.json("sessions", "bulk-status", str(data["bulk_id"]))
    assert [r["session_id"] for r in status["results"]] == [a, b]
    human = team("sessions", "bulk-status", str(data["bulk_id"])).stdout
    assert f"bulk {data['bulk_id']} completed: 2 ended, 0 skipped (of 2)" in human
    assert team.json("sessions", "show", str(a))["end"]["surface"] == "list"


def test_r3_list_end_needs_the_permission(team: Console) -> None:
    [sid] = _routed(team, "Ana")
    team("agents", "set", "dana", "--revoke", "end_messaging_session")
    result = team.json("sessions", "end", str(sid), "--as", "dana", "--surface", "list", code=1)
    assert result["result"] == "skipped" and "end_messaging_session" in result["reason"]


def test_r11_end_all_matching_asks_for_yes_then_reports(team: Console) -> None:
    ids = _routed(team, "Ana", "Bo", "Cy")
    team("sessions", "end", str(ids[0]), "--as", "dana")
    refused = team("sessions", "end", "--all-matching", "--owner", "dana", "--as", "dana", code=1)
    assert "confirm with --yes" in refused.stderr and "3 sessions match" in refused.stderr
    preview = team.json("sessions", "end", "--all-matching", "--owner", "dana", "--as", "dana",
                        "--dry-run")  # fmt: skip
    assert (preview["will_end"], preview["will_skip"]) == (2, 1)
    done = team("sessions", "end", "--all-matching", "--owner", "dana", "--as", "dana", "--yes")
    assert "ending: 3/3 sessions" in done.stderr
    assert "2 ended, 1 skipped (of 3)" in done.stdout
    assert "already ended" in done.stdout
    assert team.json("sessions", "list", "--status", "Active")["sessions"] == []


def test_end_all_matching_json_has_no_progress_lines(team: Console) -> None:
    _routed(team, "Ana", "Bo")
    result = team("sessions", "end", "--all-matching", "--status", "Active", "--as", "dana",
                  "--yes", "--json")  # fmt: skip
    data = json.loads(result.stdout)
    assert data["ended"] == 2 and data["total"] == 2
    assert "ending:" not in result.stderr


def test_end_usage_errors(team: Console) -> None:
    for argv in (
        ("sessions", "end", "1", "--all-matching", "--as", "dana"),
        ("sessions", "end", "1", "--status", "Active", "--as", "dana"),
        ("sessions", "end", "--all-matching", "--surface", "row", "--as", "dana"),
        ("sessions", "end", "1", "--surface", "sideways", "--as", "dana"),
    ):
        result = team(*argv, code=2)
        assert result.stderr.startswith("agent-console: error: ")


def test_resume_finishes_an_interrupted_bulk(team: Console) -> None:
    a, b = _routed(team, "Ana", "Bo")

    async def start(ctx: Ctx) -> int:
        return await bulk.start_bulk(ctx, "dana", ids=[a, b])  # started, never run

    bulk_id = team.services(start)
    before = team.json("sessions", "bulk-status", str(bulk_id))
    assert before["pending"] == 2 and before["results"] == []
    assert (
        "resume it: agent-console sessions resume"
        in team("sessions", "bulk-status", str(bulk_id)).stdout
    )
    after = team.json("sessions", "resume", str(bulk_id))
    assert after["status"] == "completed" and after["ended"] == 2 and after["pending"] == 0
    again = team("sessions", "resume", str(bulk_id)).stdout
    assert "2 ended, 0 skipped (of 2)" in again


def test_r2_close_tab_frees_capacity(team: Console) -> None:
    [sid] = _routed(team, "Ana")
    refused = team("sessions", "close-tab", str(sid), "--as", "dana", code=1)
    assert "end the chat before closing its tab" in refused.stderr
    team("sessions", "end", str(sid), "--as", "dana")
    assert team.json("capacity", "dana")["used"] == 1
    data = team.json("sessions", "close-tab", str(sid), "--as", "dana")
    assert data == {"session_id": sid, "units_freed": 1, "used": 0, "capacity": 5}
    assert team.json("capacity", "dana")["items"] == []


def test_inactive_under_status_based_capacity(team: Console) -> None:
    team("settings", "set", "channel.standard_sms.capacity_model", "status-based", "--as", "dana")
    [sid] = _routed(team, "Ana")
    out = team("sessions", "inactive", f"S-{sid}", "--as", "dana").stdout
    assert "Inactive" in out and "1 unit(s) freed" in out
    assert team.json("capacity", "dana")["used"] == 0
    # R4: no End Session from the list for an Inactive session under status-based capacity
    result = team.json("sessions", "end", str(sid), "--as", "dana", "--surface", "row", code=1)
    assert "Inactive" in result["reason"]
    refused = team("sessions", "inactive", str(sid), "--as", "dana", code=1)
    assert refused.stderr.startswith("agent-console: error: ")


def test_capacity_json_shape(team: Console) -> None:
    a, b = _routed(team, "Ana", "Bo")
    data: dict[str, Any] = team.json("capacity", "dana")
    assert {"agent", "capacity", "used", "items"} <= set(data)
    assert (data["agent"], data["capacity"], data["used"]) == ("dana", 5, 2)
    assert [i["session_id"] for i in data["items"]] == [a, b]
    assert {"session_id", "units", "why"} <= set(data["items"][0])
    human = team("capacity", "dana").stdout
    assert "dana: 2/5 units used" in human and "tab-based" in human


def test_issue11_list_search_and_last_page(team: Console) -> None:
    ana = _inbound(team, "Ana Lopez", text="Where is my parcel?")
    bo = _inbound(team, "Bo Chen", "enhanced_whatsapp", text="parcel damaged")
    _inbound(team, "Cy", text="hello")
    found = team.json("sessions", "list", "--search", "parcel")
    assert {s["id"] for s in found["sessions"]} == {ana, bo} and found["total"] == 2
    with_filter = team.json("sessions", "list", "--search", "parcel", "--channel", "standard_sms")
    assert [s["id"] for s in with_filter["sessions"]] == [ana]
    assert [s["id"] for s in team.json("sessions", "list", "--search", "lop")["sessions"]] == [ana]
    last = team.json("sessions", "list", "--last", "--limit", "2")
    assert [s["id"] for s in last["sessions"]] == [bo, ana] and last["next_after"] is None
    team("sessions", "list", "--last", "--after", "S-1", code=2)
