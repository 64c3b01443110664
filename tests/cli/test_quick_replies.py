"""``quick-replies list | show | add | edit | remove``: admins write, --json, --as, reasons."""

from __future__ import annotations

from .conftest import Console

GREETING = "Hi {customer}, I'm {agent} on {channel}."


def test_admin_adds_edits_lists_and_removes(team: Console) -> None:
    assert team("quick-replies", "list").stdout.startswith("no quick replies yet")
    assert team.json("quick-replies", "list") == []

    added = team.json("quick-replies", "add", "Greeting", GREETING, "--as", "dana")
    assert (added["name"], added["text"], added["placeholders"], added["updated_by"]) == (
        "Greeting",
        GREETING,
        ["customer", "agent", "channel"],
        "dana",
    )
    human = team("quick-replies", "add", "Bye", "Bye {{for now}}", "--as", "dana").stdout
    assert human == "added Bye\n"
    table = team("quick-replies", "list").stdout.splitlines()
    assert table[0].split() == ["NAME", "TEXT"]
    assert table[1].startswith("Bye ") and "Bye {{for now}}" in table[1]
    assert table[2].startswith("Greeting ") and GREETING in table[2]

    team(
        "--as",
        "dana",
        "quick-replies",
        "edit",
        "greeting",
        "--name",
        "Hello",
        "--text",
        "Hello {customer}",
    )
    listed = team.json("quick-replies", "list")
    assert [(r["name"], r["text"]) for r in listed] == [
        ("Bye", "Bye {{for now}}"),
        ("Hello", "Hello {customer}"),
    ]
    removed = team.json("quick-replies", "remove", "Bye", "--as", "dana")
    assert removed["name"] == "Bye"
    assert [r["name"] for r in team.json("quick-replies", "list")] == ["Hello"]


def test_show_fills_the_placeholders_for_a_session(team: Console) -> None:
    team("quick-replies", "add", "Greeting", GREETING, "--as", "dana")
    team("inbound", "--customer", "\x1b[31mcara", "--channel", "standard_sms", "--text", "hi")
    team("route")
    shown = team.json("quick-replies", "show", "Greeting", "--session", "S-1", "--as", "dana")
    assert shown["quick_reply"]["text"] == GREETING
    assert shown["filled"] == "Hi ␛[31mcara, I'm dana on Standard SMS."
    human = team("quick-replies", "show", "Greeting", "--session", "1", "--as", "dana").stdout
    assert "filled for S-1:\nHi ␛[31mcara, I'm dana on Standard SMS.\n" in human
    assert "\x1b" not in human
    plain = team("quick-replies", "show", "greeting").stdout
    assert "placeholders: customer, agent, channel" in plain and GREETING in plain


def test_refusals_have_reasons_and_exit_codes(team: Console) -> None:
    team("quick-replies", "add", "Greeting", GREETING, "--as", "dana")
    not_admin = team("quick-replies", "add", "Mine", "x", "--as", "amir", code=1)
    assert not_admin.stderr == (
        "agent-console: error: only admins can edit quick replies: amir is not an admin\n"
    )
    team("quick-replies", "edit", "Greeting", "--text", "x", "--as", "amir", code=1)
    team("quick-replies", "remove", "Greeting", "--as", "amir", code=1)
    taken = team("quick-replies", "add", "GREETING", "x", "--as", "dana", code=1)
    assert "a quick reply named 'Greeting' already exists" in taken.stderr
    unknown = team("quick-replies", "add", "Bad", "Dear {name}", "--as", "dana", code=2)
    assert "unknown placeholder {name} at character 6; the placeholders are {customer}" in (
        unknown.stderr
    )
    missing = team("quick-replies", "remove", "Nope", "--as", "dana", code=1)
    assert "unknown quick reply 'Nope'" in missing.stderr
    nothing = team("quick-replies", "edit", "Greeting", "--as", "dana", code=2)
    assert "nothing to change" in nothing.stderr
    who = team("quick-replies", "add", "X", "y", code=2)
    assert "say who you are" in who.stderr
    [kept] = team.json("quick-replies", "list")
    assert (kept["name"], kept["text"]) == ("Greeting", GREETING)
