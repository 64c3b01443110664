"""``sessions transfer ID --to NAME | --queue`` (issue 11), on SQLite and PostgreSQL."""

from __future__ import annotations

from agent_console.services import check

from .conftest import Console


def _dana_session(team: Console) -> int:
    """S-n of dana's (Standard SMS); amir (messaging only, capacity 2) goes Online after."""
    data = team.json("inbound", "--customer", "Ana", "--channel", "standard_sms", "--text", "hi")
    team("route")
    team("presence", "amir", "online")
    return int(data["session_id"])


def _clean(team: Console) -> None:
    assert team.services(check.check) == []


def test_transfer_to_an_agent_json_and_human(team: Console) -> None:
    sid = _dana_session(team)
    data = team.json("sessions", "transfer", str(sid), "--to", "amir", "--as", "dana")
    assert data == {
        "session_id": sid,
        "sender": "dana",
        "receiver": "amir",
        "status": "Active",
        "units_freed": 1,
        "units_taken": 1,
        "sender_used": 0,
        "sender_capacity": 5,
        "receiver_used": 1,
        "receiver_capacity": 2,
        "line": "Transferred from dana to amir",
    }
    shown = team("sessions", "show", str(sid)).stdout
    assert "system (internal): Transferred from dana to amir" in shown
    assert "owner:        amir" in shown
    human = team("sessions", "transfer", f"S-{sid}", "--to", "dana", "--as", "amir").stdout
    assert human.strip() == f"S-{sid} transferred to dana (1 unit moved; amir uses 0/2, dana 1/5)"
    _clean(team)


def test_transfer_back_to_the_queue(team: Console) -> None:
    sid = _dana_session(team)
    out = team("sessions", "transfer", str(sid), "--queue", "--as", "dana").stdout
    assert out.strip() == f"S-{sid} sent back to the queue (1 unit freed; dana uses 0/5)"
    row = team.json("sessions", "show", str(sid))
    assert (row["status"], row["owner"]) == ("Waiting", None)
    assert row["messages"][-1]["text"] == "dana sent this session back to the queue"
    assert row["messages"][-1]["visible_to_customer"] is False
    _clean(team)


def test_refusals_exit_1_with_the_reason(team: Console) -> None:
    sid = _dana_session(team)
    team("presence", "amir", "busy")
    busy = team("sessions", "transfer", str(sid), "--to", "amir", "--as", "dana", code=1)
    assert busy.stderr.strip().endswith(f"S-{sid} not transferred to amir: Busy")
    theirs = team("sessions", "transfer", str(sid), "--queue", "--as", "amir", code=1)
    assert f"not the owner: S-{sid} is owned by dana" in theirs.stderr
    moved = team("sessions", "transfer", str(sid), "--queue", "--as", "dana", "--from", "amir",
                 code=1)  # fmt: skip
    assert f"S-{sid} changed hands meanwhile: it is now owned by dana" in moved.stderr
    unknown = team("sessions", "transfer", str(sid), "--to", "zoe", "--as", "dana", code=1)
    assert "unknown agent 'zoe'" in unknown.stderr
    assert team.json("sessions", "show", str(sid))["owner"] == "dana"
    _clean(team)


def test_usage_needs_exactly_one_destination(team: Console) -> None:
    sid = _dana_session(team)
    neither = team("sessions", "transfer", str(sid), "--as", "dana", code=2)
    assert "--to NAME or --queue" in neither.stderr
    both = team("sessions", "transfer", str(sid), "--to", "amir", "--queue", "--as", "dana",
                code=2)  # fmt: skip
    assert "--to NAME or --queue" in both.stderr


def test_list_shows_who_can_receive_and_why_not(team: Console) -> None:
    sid = _dana_session(team)
    team("agents", "add", "sam", "--capacity", "1", "--perm", "messaging_agent")
    out = team("sessions", "transfer", str(sid), "--list", "--as", "dana").stdout
    assert "can receive it (1 unit):" in out and "amir" in out
    assert "not offered:\n  sam: logged out" in out
    data = team.json("sessions", "transfer", str(sid), "--list", "--as", "dana")
    assert data["allowed"] is True and data["units"] == 1
    assert [(t["name"], t["eligible"], t["free"]) for t in data["targets"]] == [
        ("amir", True, 2),
        ("sam", False, 1),
    ]
    assert team.json("sessions", "show", str(sid))["owner"] == "dana"  # --list changed nothing
