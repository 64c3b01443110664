"""Away reasons from the shell: ``presence NAME busy --reason Lunch``, the refusal of an unknown
reason (with the valid ones), and the admin's ``settings set presence.away_reasons``."""

from __future__ import annotations

from .conftest import Console


def test_busy_with_a_reason_and_an_unknown_one_refused_with_the_list(run: Console) -> None:
    run("agents", "add", "dana", "--perm", "messaging_agent")
    run("presence", "dana", "online")
    human = run("presence", "dana", "busy", "--reason", "lunch").stdout
    assert "dana went Online -> Away: Lunch" in human
    shown = run.json("agents", "show", "dana")
    assert (shown["presence"], shown["away_reason"]) == ("Busy", "Lunch")
    assert shown["presence_since"] is not None
    assert "Away: Lunch" in run("agents", "list").stdout
    assert "presence:    Away: Lunch" in run("agents", "show", "dana").stdout

    refused = run("presence", "dana", "busy", "--reason", "Nap", code=1)
    assert refused.stderr.strip() == (
        "agent-console: error: unknown away reason 'Nap'; the reasons are: Break, Lunch, Training"
    )
    wrong = run("presence", "dana", "online", "--reason", "Lunch", code=1)
    assert "an away reason goes with Busy, not Online" in wrong.stderr
    assert run.json("agents", "show", "dana")["away_reason"] == "Lunch"  # nothing changed

    data = run.json("presence", "dana", "busy", "--reason", "Break", "--dry-run")
    assert (data["reason_before"], data["reason_after"], data["dry_run"]) == (
        "Lunch",
        "Break",
        True,
    )
    assert run.json("agents", "show", "dana")["away_reason"] == "Lunch"


def test_an_admin_sets_the_reasons_and_a_bad_list_is_refused(run: Console) -> None:
    run("agents", "add", "dana", "--admin")
    run("agents", "add", "amir")
    listed = {s["key"]: s for s in run.json("settings", "list")}
    assert listed["presence.away_reasons"]["value"] == "Break, Lunch, Training"
    out = run("settings", "set", "presence.away_reasons", "Coaching,Meeting", "--as", "dana")
    assert out.stdout.strip() == "presence.away_reasons = Coaching, Meeting"
    bad = run("settings", "set", "presence.away_reasons", "Lunch, LUNCH", "--as", "dana", code=2)
    assert "'LUNCH' is given twice" in bad.stderr
    refused = run("settings", "set", "presence.away_reasons", "Nap", "--as", "amir", code=1)
    assert "only admins" in refused.stderr
    assert (
        "the reasons are: Coaching, Meeting"
        in run("presence", "amir", "busy", "--reason", "Lunch", code=1).stderr
    )
    back = run("settings", "set", "presence.away_reasons", "default", "--as", "dana").stdout
    assert back.strip() == "presence.away_reasons = Break, Lunch, Training (default)"


def test_a_capacity_model_change_says_it_applies_to_new_sessions_only(run: Console) -> None:
    run("agents", "add", "dana", "--admin")
    view = run.json("settings", "set", "capacity_model", "status-based", "--as", "dana")
    assert view["note"] == "The capacity model applies to new sessions only."
    human = run("settings", "set", "capacity_model", "tab-based", "--as", "dana").stdout
    assert "The capacity model applies to new sessions only." in human
