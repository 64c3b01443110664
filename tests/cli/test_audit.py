"""``agent-console audit``: setting changes, agents' changes, transfers, supervisors' presence
changes and ends, oldest first, with the database role that made each (issue 15)."""

from __future__ import annotations

from .conftest import Console


def test_the_audit_lists_changes_and_ends_with_the_role(run: Console) -> None:
    run("seed", "--agents", "3", "--sessions", "0")
    run("settings", "set", "agents_can_end", "off", "--as", "dana")
    run("agents", "set", "amir", "--capacity", "7")
    run("presence", "amir", "Busy", "--by", "dana", "--note", "coaching")
    lines = run.json("audit", "--since", "1h")
    got = [(a["actor"], a["action"], a["target"], a["detail"]) for a in lines]
    assert got == [
        ("dana", "setting", "agents_can_end", "off"),
        ("-", "agent", "amir", "capacity 7"),
        ("dana", "presence", "amir", "Busy: coaching"),
    ]
    roles = {a["db_role"] for a in lines}
    # SQLite has no roles; PostgreSQL records the connection's role by itself.
    assert roles == ({None} if run.url and run.url.startswith("sqlite") else {"agent"})
    text = run("audit", "--since", "1h").stdout
    assert "DB ROLE" in text and "coaching" in text


def test_nothing_recorded_says_so(run: Console) -> None:
    assert "nothing recorded since" in run("audit", "--since", "2026-01-01T00:00Z").stdout
