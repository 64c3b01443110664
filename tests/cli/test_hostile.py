"""Customer-controlled text never reaches the terminal as control codes; JSON keeps it exact."""

from __future__ import annotations

from .conftest import Console

HOSTILE = "\x1b]52;c;aGk=\x07[/bold]"
NAME = "Eve\x1b[2J\u202e\x9b31m"


def _clean(out: str) -> None:
    for bad in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert bad not in out, repr(out)


def test_hostile_text_is_made_visible_for_people_and_exact_in_json(team: Console) -> None:
    started = team.json("inbound", "--customer", NAME, "--channel", "standard_sms", "--text",
                        HOSTILE + "\nsecond line")  # fmt: skip
    sid = started["session_id"]
    team("route")
    team("send", "--as", "dana", str(sid), HOSTILE)

    for argv in (
        ("sessions", "show", str(sid)),
        ("sessions", "list"),
        ("sessions", "end", str(sid), "--as", "dana", "--dry-run"),
        ("logout", "dana", "--dry-run"),
    ):
        result = team(*argv)
        _clean(result.stdout + result.stderr)

    shown = team("sessions", "show", str(sid)).stdout
    assert "[/bold]" in shown and "␛]52;c;aGk=␇" in shown  # visible, not obeyed
    assert "second line" in shown

    data = team.json("sessions", "show", str(sid))
    assert data["customer"] == NAME
    assert data["messages"][0]["text"] == HOSTILE + "\nsecond line"
    assert data["messages"][1]["text"] == HOSTILE
    raw = team("sessions", "show", str(sid), "--json").stdout
    _clean(raw)  # json.dumps escapes every control character
    listed = team.json("sessions", "list")["sessions"][0]
    assert listed["customer"] == NAME


def test_hostile_text_in_errors_is_one_safe_line(team: Console) -> None:
    result = team("agents", "show", NAME, code=1)
    _clean(result.stderr)
    assert result.stderr.count("\n") == 1
    inbound = team("inbound", "--customer", "Ana", "--channel", "x\x1b[31m\nfax", "--text", "hi",
                   code=2)  # fmt: skip
    _clean(inbound.stderr)
    assert inbound.stderr.count("\n") == 1


def test_hostile_agent_and_macro_names(team: Console) -> None:
    bad = team("macro", "run", HOSTILE, "1", "--as", "dana", code=1)
    _clean(bad.stderr)
    refused = team("agents", "add", "Mallory\u202egnp.exe", code=2)  # not a printable name
    _clean(refused.stderr)
    assert "bad agent name" in refused.stderr
    _clean(team("agents", "list").stdout)
