"""Deployment and operations commands: db upgrade, seed, settings (R8, R9), macros and
triggers (R10), the R7 sweep, check, changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from agent_console.services.context import Ctx

from .conftest import Console


def _owner(run: Console) -> int:
    run("agents", "add", "dana", "--admin", "--perm", "messaging_agent", "--perm",
        "end_messaging_session")  # fmt: skip
    run("agents", "add", "amir", "--perm", "messaging_agent")
    run("presence", "dana", "online")
    sid = run.json("inbound", "--customer", "Ana", "--channel", "standard_sms", "--text", "hi")
    run("route")
    return int(sid["session_id"])


def test_db_upgrade_creates_the_schema(run_sqlite: Console) -> None:
    data = run_sqlite.json("db", "upgrade")
    assert data["revision"] and data["legacy_messaging"] is False
    assert "database at schema" in run_sqlite("db", "upgrade").stdout
    assert run_sqlite.json("agents", "list") == []


def test_r8_legacy_messaging_turns_agents_can_end_off(run: Console) -> None:
    out = run("db", "upgrade", "--legacy-messaging").stdout
    assert "legacy messaging" in out
    settings = {s["key"]: s for s in run.json("settings", "list")}
    assert settings["agents_can_end"]["value"] == "off"
    assert settings["agents_can_end"]["default"] == "off"


def test_seed_reports_what_it_made(run: Console) -> None:
    result = run("seed", "--agents", "3", "--sessions", "20", "--seed", "7")
    assert "seeded 3 agents, 20 sessions" in result.stdout
    assert "seeding: 20/20 sessions" in result.stderr
    data = run.json("seed", "--agents", "3", "--sessions", "5")
    assert data["sessions"] == 5 and data["agents"] == 3 and data["messages"] > 0
    assert run.json("sessions", "list", "--limit", "1")["total"] == 25
    assert run("check").stdout.startswith("ok: all")


def test_settings_list_and_set(run: Console) -> None:
    _owner(run)
    listed = run.json("settings", "list")
    assert {"key", "value", "default", "explicit", "description"} <= set(listed[0])
    keys = [s["key"] for s in listed]
    assert keys[:3] == ["agents_can_end", "csat_on_agent_end", "capacity_model"]
    assert "channel.standard_sms.units" in keys
    set_ = run.json("settings", "set", "capacity_model", "Status-Based", "--as", "dana")
    assert set_["value"] == "status-based" and set_["explicit"] is True
    assert (
        "capacity_model = tab-based (default)"
        in run("settings", "set", "capacity_model", "default", "--as", "dana").stdout
    )
    human = run("settings", "list").stdout
    assert human.splitlines()[0].split()[:3] == ["KEY", "VALUE", "DEFAULT"]


def test_settings_set_refusals(run: Console) -> None:
    _owner(run)
    not_admin = run("settings", "set", "agents_can_end", "off", "--as", "amir", code=1)
    assert "only admins" in not_admin.stderr
    bad_value = run("settings", "set", "agents_can_end", "maybe", "--as", "dana", code=2)
    assert "expected on or off" in bad_value.stderr
    bad_key = run("settings", "set", "volume", "11", "--as", "dana", code=2)
    assert "unknown setting 'volume'" in bad_key.stderr


def test_r8_setting_off_skips_agent_ends(run: Console) -> None:
    sid = _owner(run)
    run("settings", "set", "agents_can_end", "off", "--as", "dana")
    result = run.json("sessions", "end", str(sid), "--as", "dana", code=1)
    assert result["result"] == "skipped"
    run("settings", "set", "agents_can_end", "on", "--as", "dana")
    assert run.json("sessions", "end", str(sid), "--as", "dana")["result"] == "ended"


def test_r10_macro_list_and_run(run: Console) -> None:
    sid = _owner(run)
    macros = run.json("macro", "list")
    assert {"name": "Escalate to Tier 2", "description": macros[0]["description"]} in macros
    assert "Escalate to Tier 2" in run("macro", "list").stdout
    data = run.json("macro", "run", "Escalate to Tier 2", f"S-{sid}", "--as", "dana")
    assert [(s["step"], s["result"]) for s in data["steps"]] == [
        ("note", "done"),
        ("transfer", "done"),
        ("end", "done"),
    ]
    shown = run.json("sessions", "show", str(sid))
    assert shown["status"] == "Ended" and shown["end"]["actor_kind"] == "macro"
    assert shown["escalated_to"] == "Tier 2"
    unknown = run("macro", "run", "Make coffee", str(sid), "--as", "dana", code=1)
    assert "unknown macro 'Make coffee'" in unknown.stderr


def test_r10_macro_human_output(run: Console) -> None:
    sid = _owner(run)
    out = run("macro", "run", "Resolve and close", str(sid), "--as", "dana").stdout
    assert f"Resolve and close on S-{sid}:" in out
    assert "note" in out and "end" in out and "done" in out


def test_r10_trigger_list_and_fire(run: Console) -> None:
    sid = _owner(run)
    triggers = run.json("trigger", "list")
    assert triggers == [
        {"name": "End messaging session when escalated", "event": "escalated", "enabled": True}
    ]
    assert "End messaging session when escalated" in run("trigger", "list").stdout
    fired = run.json("trigger", "fire", "escalated", str(sid))
    assert fired["ended"] == 1
    assert fired["results"][0]["session_id"] == sid
    assert run.json("sessions", "show", str(sid))["end"]["actor_kind"] == "trigger"
    again = run("trigger", "fire", "escalated", str(sid)).stdout
    assert "already ended" in again
    assert "unknown event 'boom'" in run("trigger", "fire", "boom", str(sid), code=2).stderr
    assert "no session S-77" in run("trigger", "fire", "escalated", "77", code=1).stderr


def test_r7_sweep_ends_unanswered_agent_initiated_sessions(run: Console) -> None:
    _owner(run)
    started = run.json("outbound", "--as", "dana", "--customer", "Cy", "--channel",
                       "standard_sms", "--text", "Hello?")  # fmt: skip
    sid = started["session_id"]
    assert run.json("sweep")["results"] == []  # not due yet
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert run.json("sweep", "--now", soon)["ended"] == 0
    later = (datetime.now(UTC) + timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M:%S")
    data = run.json("sweep", "--now", later)
    assert data["ended"] == 1 and data["results"][0]["session_id"] == sid
    shown = run.json("sessions", "show", str(sid))
    assert shown["end"]["actor_kind"] == "timer"
    assert "sweep: 0 ended, 0 skipped" in run("sweep", "--now", later).stdout


def test_check_passes_then_lists_a_broken_invariant(run: Console) -> None:
    _owner(run)
    ok = run.json("check")
    assert ok["ok"] is True and ok["violations"] == [] and ok["checked"] >= 5
    assert run("check").stdout.startswith("ok: all")

    async def corrupt(ctx: Ctx) -> None:
        async with ctx.db.write() as conn:
            await conn.execute(text("UPDATE agents SET used_units = 4 WHERE name = 'dana'"))

    run.services(corrupt)
    broken = run("check", code=1)
    assert "used capacity equals the sum of consuming sessions" in broken.stdout
    assert broken.stderr == "agent-console: error: 1 invariant broken\n"
    data = run.json("check", code=1)
    assert data["ok"] is False and data["violations"][0]["invariant"].startswith("used capacity")


def test_changes_feed_and_cursor(run: Console) -> None:
    sid = _owner(run)
    first = run.json("changes")
    assert first["cursor"] > 0
    kinds = [c["kind"] for c in first["changes"]]
    assert "inbound" in kinds and "assigned" in kinds
    run("send", "--as", "dana", str(sid), "hello")
    after = run.json("changes", "--since", str(first["cursor"]))
    assert [(c["kind"], c["session_id"]) for c in after["changes"]] == [("message", sid)]
    human = run("changes", "--since", str(first["cursor"])).stdout
    assert f"S-{sid}" in human and f"next: --since {after['cursor']}" in human
