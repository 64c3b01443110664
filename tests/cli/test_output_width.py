"""The CLI's tables line up as a terminal draws them (Rich's cell widths, as the console)."""

from __future__ import annotations

import pytest

from agent_console.cli import output


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("abc", 3),
        ("日本", 4),  # wide
        ("e\u0301", 1),  # a combining accent takes no column
        ("a\u200bb", 2),  # a zero-width space takes none
        ("👍🏽", 2),  # an emoji with a skin-tone modifier is one wide glyph
    ],
)
def test_width_counts_terminal_columns(text: str, columns: int) -> None:
    assert output.width(text) == columns


def test_a_table_pads_wide_and_zero_width_cells_to_the_same_edge(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output.table(["name", "x"], [["日本", "1"], ["a\u200bb", "2"], ["abcd", "3"]])
    lines = capsys.readouterr().out.splitlines()
    assert {output.width(line) for line in lines} == {output.width(lines[0])}
