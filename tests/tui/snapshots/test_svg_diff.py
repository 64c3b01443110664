"""The snapshot mismatch message: the lines that changed, read back from the two SVGs."""

from __future__ import annotations

from .svg_diff import describe, screen_lines


def _text(cls: str, column: int, line: int, body: str) -> str:
    x = round(column * 12.2, 1)
    return (
        f'<text class="{cls}" x="{x}" y="0" textLength="12.2" '
        f'clip-path="url(#terminal-line-{line})">{body}</text>'
    )


def _svg(*texts: str) -> str:
    return "<svg>" + "".join(texts) + "</svg>"


def test_the_screen_is_read_back_line_by_line_at_its_columns() -> None:
    svg = _svg(
        _text("r1", 4, 0, "world"),
        _text("r2", 0, 0, "Hi,"),
        _text("r1", 2, 2, "&#160;&lt;b&gt;"),
    )
    assert screen_lines(svg) == ["Hi, world", "", "   <b>"]


def test_a_changed_line_is_named_in_a_diff() -> None:
    expected = _svg(_text("r1", 0, 0, "tr"), _text("r1", 0, 1, "Tracking"))
    actual = _svg(_text("r1", 0, 0, "t"), _text("r1", 0, 1, "Tracking"))
    message = describe(expected, actual)
    assert message.startswith("the screen's text differs")
    lines = message.splitlines()
    assert "-tr" in lines and "+t" in lines
    assert " Tracking" in lines  # the unchanged line, as context


def _styles(**rules: str) -> str:
    return "<style>" + "".join(f".terminal-{c} {{ {r} }}" for c, r in rules.items()) + "</style>"


def test_the_same_text_in_other_styles_names_the_runs() -> None:
    expected = _svg(_styles(r1="fill: #ffffff"), _text("terminal-r1", 0, 3, "Reply"))
    actual = _svg(_styles(r9="fill: #5cc98a"), _text("terminal-r9", 0, 3, "Reply"))
    message = describe(expected, actual)
    assert message.startswith("same text, different styles")
    assert "line 3" in message and "fill: #ffffff" in message and "fill: #5cc98a" in message


def test_the_same_styles_under_other_class_names_are_no_difference() -> None:
    """Textual numbers a capture's classes itself (and adds an id before storing it)."""
    expected = _svg(_styles(r1="fill: #ffffff"), _text("terminal-r1", 0, 0, "Hi"))
    actual = _svg(_styles(**{"123-r4": "fill: #ffffff"}), _text("terminal-123-r4", 0, 0, "Hi"))
    assert describe(expected, actual).startswith("same text and runs")
