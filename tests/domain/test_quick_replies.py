"""Quick reply templates: placeholders, brace escapes, refusals with reasons, inert values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_console.domain.quick_replies import (
    MAX_TEXT,
    PLACEHOLDERS,
    Placeholder,
    TemplateError,
    check_name,
    check_template,
    parse_template,
    render,
)

VALUES = {"customer": "Alice", "agent": "dana", "channel": "Standard SMS"}


def test_placeholders_are_filled() -> None:
    text = "Hi {customer}, I'm {agent} on {channel}."
    assert render(text, VALUES) == "Hi Alice, I'm dana on Standard SMS."
    assert parse_template(text) == (
        "Hi ",
        Placeholder("customer"),
        ", I'm ",
        Placeholder("agent"),
        " on ",
        Placeholder("channel"),
        ".",
    )


def test_doubled_braces_are_literal_braces() -> None:
    assert render("{{customer}} is {customer}; }} {{", VALUES) == "{customer} is Alice; } {"
    assert check_template("use {{ and }}") == "use {{ and }}"


def test_a_placeholder_may_repeat_and_be_absent() -> None:
    assert render("{agent}{agent}", VALUES) == "danadana"
    assert render("no placeholders at all", VALUES) == "no placeholders at all"
    assert render("Hi {customer}", {}) == "Hi "


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Hi {name}", "unknown placeholder {name} at character 4; the placeholders are "
         "{customer}, {agent}, {channel} (write {{ and }} for literal braces)"),
        ("{Customer}", "unknown placeholder {Customer} at character 1"),
        ("{ customer }", "unknown placeholder { customer } at character 1"),
        ("{customer:>9}", "unknown placeholder {customer:>9}"),
        ("{customer!r}", "unknown placeholder {customer!r}"),
        ("{}", "unknown placeholder {} at character 1"),
        ("a { b", "a lone { at character 3: write {{ for a brace"),
        ("{ {customer}", "a lone { at character 1"),
        ("a } b", "a lone } at character 3: write }} for a brace"),
        ("{{{customer}", None),  # "{" then a placeholder: fine
        ("   ", "cannot be empty"),
        ("x" * (MAX_TEXT + 1), f"at most {MAX_TEXT:,} characters"),
        ("a\x00b", "cannot be stored: it contains a NUL character"),
    ],
)  # fmt: skip
def test_what_is_refused_says_why(text: str, reason: str | None) -> None:
    if reason is None:
        assert check_template(text) == text
        return
    with pytest.raises(TemplateError) as refused:
        check_template(text)
    assert reason in str(refused.value)


def test_an_unknown_placeholder_with_control_characters_is_named_safely() -> None:
    with pytest.raises(TemplateError) as refused:
        check_template("{\x1b[31m}")
    assert "\x1b" not in str(refused.value) and "␛[31m" in str(refused.value)


def test_names() -> None:
    assert check_name("  Greeting ") == "Greeting"
    for bad in ("", "   ", "a\nb", "x" * 81, "\x1b[2J"):
        with pytest.raises(TemplateError, match="bad quick reply name"):
            check_name(bad)


def test_hostile_values_stay_inert() -> None:
    """A customer's name is inserted as plain text: never a placeholder, never an escape
    sequence, never a second line; markup-looking text is kept as typed (the console never
    reads it as markup)."""
    hostile = "[bold red]Eve[/] {agent} {{x}} \x1b]52;c;cGF5bG9hZA==\x07\nline two\u202e"
    out = render("Hi {customer}!", {**VALUES, "customer": hostile})
    assert out.startswith("Hi [bold red]Eve[/] {agent} {{x}} ")
    assert "\x1b" not in out and "\x07" not in out and "\n" not in out and "\u202e" not in out
    assert "␛]52;c;cGF5bG9hZA==␇ line two⟨U+202E⟩!" in out


@given(st.text(max_size=200))
def test_any_value_is_inserted_once_and_never_expanded(value: str) -> None:
    out = render("<{customer}>", {"customer": value, "agent": "AGENT"})
    assert out.startswith("<") and out.endswith(">")
    assert "AGENT" not in out or "AGENT" in value
    assert "\n" not in out and "\x1b" not in out


@given(st.text(alphabet=st.sampled_from("ab{}"), max_size=30))
def test_a_template_either_parses_or_is_refused_with_a_reason(text: str) -> None:
    try:
        segments = parse_template(text)
    except TemplateError as exc:
        assert "character" in str(exc)
        return
    names = {s.name for s in segments if isinstance(s, Placeholder)}
    assert names <= set(PLACEHOLDERS)
