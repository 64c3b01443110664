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


def test_the_same_text_in_other_styles_names_the_runs() -> None:
    expected = _svg(_text("r1", 0, 3, "Reply"))
    actual = _svg(_text("r9", 0, 3, "Reply"))
    message = describe(expected, actual)
    assert message.startswith("same text, different styles")
    assert "line 3" in message and "'r1'" in message and "'r9'" in message
