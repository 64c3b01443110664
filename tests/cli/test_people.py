"""Agents, presence (R5) and logout (R6) from the shell."""

from __future__ import annotations

from .conftest import Console

AGENT_KEYS = {
    "id",
    "name",
    "capacity",
    "used",
    "permissions",
    "is_admin",
    "presence",
    "logged_in",
    "away_reason",
    "presence_since",
    "presence_by",
    "presence_note",
}


def _routed(run: Console, *customers: str, channel: str = "standard_sms") -> list[int]:
    ids = [
        run.json("inbound", "--customer", c, "--channel", channel, "--text", "hi")["session_id"]
        for c in customers
    ]
    run("route")
    return ids


def test_agents_add_list_show_set(run: Console) -> None:
    added = run.json("agents", "add", "dana", "--capacity", "3", "--perm", "messaging_agent",
                     "--admin")  # fmt: skip
    assert set(added) == AGENT_KEYS
    assert (added["name"], added["capacity"], added["is_admin"]) == ("dana", 3, True)
    assert added["permissions"] == ["messaging_agent"]
    assert added["presence"] == "Offline" and added["logged_in"] is False
    human = run("agents", "add", "amir").stdout
    assert "added amir" in human and "0/5 units used" in human

    listed = run.json("agents", "list")
    assert [a["name"] for a in listed] == ["amir", "dana"]
    table = run("agents", "list").stdout.splitlines()
    assert table[0].split() == ["AGENT", "PRESENCE", "USED", "ADMIN", "PERMISSIONS"]

    changed = run.json("agents", "set", "amir", "--capacity", "4", "--grant", "messaging_agent",
                       "--grant", "end_messaging_session", "--admin")  # fmt: skip
    assert changed["capacity"] == 4 and changed["is_admin"] is True
    assert changed["permissions"] == ["end_messaging_session", "messaging_agent"]
    revoked = run.json("agents", "set", "amir", "--revoke", "messaging_agent", "--no-admin")
    assert revoked["permissions"] == ["end_messaging_session"] and revoked["is_admin"] is False
    shown = run("agents", "show", "amir").stdout
    assert "capacity:" in shown and "0/4 units used" in shown and "admin:       no" in shown
    assert run.json("agents", "show", "dana")["name"] == "dana"


def test_agents_errors(run: Console) -> None:
    run("agents", "add", "dana")
    dup = run("agents", "add", "dana", code=1)
    assert "already exists" in dup.stderr
    bad_perm = run("agents", "add", "amir", "--perm", "root", code=2)
    assert "unknown permission 'root'" in bad_perm.stderr
    bad_capacity = run("agents", "set", "dana", "--capacity", "0", code=2)
    assert "capacity must be between" in bad_capacity.stderr
    assert "unknown agent 'ghost'" in run("agents", "set", "ghost", "--admin", code=1).stderr


def test_presence_online_routes_waiting_work(run: Console) -> None:
    run("agents", "add", "dana", "--perm", "messaging_agent")
    sid = run.json("inbound", "--customer", "Ana", "--channel", "standard_sms", "--text", "hi")
    data = run.json("presence", "dana", "online")
    assert (data["before"], data["after"], data["dry_run"]) == ("Offline", "Online", False)
    assert data["rerouted"] == [{"session_id": sid["session_id"], "agent": "dana"}]
    human = run("presence", "dana", "Busy").stdout
    assert "dana went Online -> Busy" in human


def test_r5_offline_dry_run_lists_the_effect_per_session(run: Console) -> None:
    run("agents", "add", "dana", "--perm", "messaging_agent")
    run("agents", "add", "amir", "--perm", "messaging_agent")
    run("presence", "dana", "online")
    [sid] = _routed(run, "Ana")
    preview = run.json("presence", "dana", "offline", "--dry-run")
    assert preview["dry_run"] is True
    assert preview["effects"] == [
        {
            "session_id": sid,
            "effect": "back to Waiting and routed to another available rep (tab-based capacity)",
        }
    ]
    human = run("presence", "dana", "offline", "--dry-run").stdout
    assert "would go Online -> Offline" in human and f"S-{sid}" in human
    assert run.json("agents", "show", "dana")["presence"] == "Online"  # nothing changed

    run("presence", "amir", "online")
    moved = run.json("presence", "dana", "offline")
    assert moved["rerouted"] == [{"session_id": sid, "agent": "amir"}]
    assert run.json("sessions", "show", str(sid))["owner"] == "amir"


def test_r6_logout_warns_then_needs_yes(run: Console) -> None:
    run("agents", "add", "dana", "--perm", "messaging_agent")
    run("presence", "dana", "online")
    a, b = _routed(run, "Ana", "Bo")

    warned = run("logout", "dana", code=1)
    assert "Logging out ends 2 ongoing sessions; all 2 units you use are freed." in warned.stdout
    assert f"S-{a}" in warned.stdout and f"S-{b}" in warned.stdout
    assert "--yes" in warned.stderr and warned.stderr.count("\n") == 1
    preview = run.json("logout", "dana", "--dry-run")
    assert [s["id"] for s in preview["sessions"]] == [a, b]
    assert (
        preview["warning"] == "Logging out ends 2 ongoing sessions; all 2 units you use are freed."
    )
    assert run.json("agents", "show", "dana")["logged_in"] is True  # nothing changed yet

    done = run.json("logout", "dana", "--yes")
    assert [r["result"] for r in done["results"]] == ["ended", "ended"]
    assert done["tabs_closed"] == 2 and done["units_freed"] == 2
    agent = run.json("agents", "show", "dana")
    assert (agent["presence"], agent["logged_in"], agent["used"]) == ("Offline", False, 0)
    end = run.json("sessions", "show", str(a))["end"]
    assert (end["actor_kind"], end["surface"]) == ("logout", "logout")
    human = run("logout", "dana", "--yes").stdout
    assert "dana logged out" in human and "0 ended, 0 skipped" in human
    assert run("logout", "dana", "--yes", "--dry-run", code=2).stderr.startswith(
        "agent-console: error: "
    )
