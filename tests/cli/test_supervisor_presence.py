"""A supervisor from the shell: ``presence NAME busy --by sam --note ...`` and ``logout NAME
--by sam --note ... --yes``; the JSON says who and why, and a non-admin is refused."""

from __future__ import annotations

from .conftest import Console


def _floor(run: Console) -> None:
    """sam (an admin), dana (Online, one Standard SMS session) and amir (not an admin)."""
    run("agents", "add", "sam", "--admin")
    run("agents", "add", "dana", "--perm", "messaging_agent")
    run("agents", "add", "amir", "--perm", "messaging_agent")
    run("presence", "dana", "online")
    run("inbound", "--customer", "cara", "--channel", "standard_sms", "--text", "hi")
    run("route")


def test_a_supervisor_sets_presence_with_a_note_and_the_agents_own_change_clears_it(
    run: Console,
) -> None:
    _floor(run)
    human = run("presence", "dana", "busy", "--by", "sam", "--note", "Coaching").stdout
    assert human.splitlines()[0] == "dana went Online -> Busy (by sam: Coaching)"
    shown = run.json("agents", "show", "dana")
    assert (shown["presence"], shown["presence_by"], shown["presence_note"]) == (
        "Busy",
        "sam",
        "Coaching",
    )
    assert "set by:      sam: Coaching" in run("agents", "show", "dana").stdout

    data = run.json("presence", "dana", "online", "--by", "sam")
    assert (data["by"], data["note"], data["after"]) == ("sam", None, "Online")
    mine = run.json("presence", "dana", "busy")
    assert (mine["by"], mine["note"]) == (None, None)
    shown = run.json("agents", "show", "dana")
    assert (shown["presence_by"], shown["presence_note"]) == (None, None)
    assert "set by" not in run("agents", "show", "dana").stdout


def test_a_non_admin_is_refused_and_nothing_changes(run: Console) -> None:
    _floor(run)
    before = run.json("agents", "show", "dana")
    refused = run("presence", "dana", "offline", "--by", "amir", "--note", "x", code=1)
    assert refused.stderr.strip() == (
        "agent-console: error: only admins can set another agent's presence: amir is not an admin"
    )
    refused = run("logout", "dana", "--by", "amir", "--note", "x", "--yes", code=1)
    assert "only admins can log out another agent: amir is not an admin" in refused.stderr
    assert run.json("agents", "show", "dana") == before
    assert "unknown agent 'zed'" in run("presence", "dana", "busy", "--by", "zed", code=1).stderr


def test_a_supervisor_logout_needs_a_reason_and_the_end_records_carry_it(run: Console) -> None:
    _floor(run)
    missing = run("logout", "dana", "--by", "sam", "--yes", code=1)
    assert "a supervisor logging an agent out must give a reason" in missing.stderr
    assert run.json("agents", "show", "dana")["logged_in"] is True

    preview = run("logout", "dana", "--by", "amir", code=1)
    assert "only admins can log out another agent" in preview.stderr

    done = run.json("logout", "dana", "--by", "sam", "--note", "End of shift", "--yes")
    assert (done["by"], done["note"]) == ("sam", "End of shift")
    assert [r["result"] for r in done["results"]] == ["ended"]
    shown = run.json("agents", "show", "dana")
    assert (shown["logged_in"], shown["presence_by"], shown["presence_note"]) == (
        False,
        "sam",
        "End of shift",
    )
    session = run.json("sessions", "show", "1")
    assert (session["end"]["actor_kind"], session["end"]["actor"]) == ("logout", "dana")
    assert session["end"]["reason"] == "logged out by sam: End of shift"

    human = run("logout", "dana", "--by", "sam", "--note", "Still off", "--yes").stdout
    assert human.splitlines()[0] == "dana logged out: Offline (by sam: Still off)"


def test_a_note_with_a_line_break_or_too_long_is_refused(run: Console) -> None:
    _floor(run)
    broken = run("presence", "dana", "busy", "--by", "sam", "--note", "a\nb", code=1)
    assert "a note is one line of plain text: it contains U+000A at character 2" in broken.stderr
    long = run("presence", "dana", "busy", "--by", "sam", "--note", "x" * 201, code=1)
    assert "a note is at most 200 characters, this one has 201" in long.stderr
    own = run("presence", "dana", "busy", "--note", "mine", code=1)
    assert "a note goes with a supervisor's change" in own.stderr
    assert run.json("agents", "show", "dana")["presence"] == "Online"
