"""What differs between two snapshot SVGs, as text a CI log can show.

A snapshot that fails on CI leaves its two SVGs in an HTML report that the log does not carry;
this turns them back into screen lines (and each line's styled runs) so the assertion message
says which lines changed.
"""

from __future__ import annotations

import difflib
import html
import re
from pathlib import Path
from typing import Any

_TEXT = re.compile(
    r'<text class="(?P<cls>[^"]*)" x="(?P<x>[\d.]+)" y="[\d.]+" textLength="[\d.]+" '
    r'clip-path="url\(#[\w-]*-line-(?P<line>\d+)\)">(?P<body>[^<]*)</text>'
)
_STYLE = re.compile(r"\.(?P<cls>terminal-[\w-]+)\s*\{(?P<rule>[^}]*)\}")
_CELL_WIDTH = 12.2  # Textual's SVG export: one terminal cell


def runs(svg: str) -> dict[int, list[tuple[int, str, str]]]:
    """Each screen line's runs of text: (column, style, text). The style is the class's rule
    (``fill: #5cc98a;font-weight: bold``): class names are numbered per capture, so the same
    style can have another name in another capture."""
    rules = {m["cls"]: " ".join(m["rule"].split()).rstrip(";") for m in _STYLE.finditer(svg)}
    lines: dict[int, list[tuple[int, str, str]]] = {}
    for match in _TEXT.finditer(svg):
        column = round(float(match["x"]) / _CELL_WIDTH)
        text = html.unescape(match["body"]).replace("\xa0", " ")
        style = rules.get(match["cls"], match["cls"])
        lines.setdefault(int(match["line"]), []).append((column, style, text))
    return lines


def screen_lines(svg: str) -> list[str]:
    """The screen's text, one string per line."""
    out: list[str] = []
    by_line = runs(svg)
    for number in range(max(by_line, default=-1) + 1):
        row = ""
        for column, _cls, text in sorted(by_line.get(number, [])):
            row = row.ljust(column) + text
        out.append(row.rstrip())
    return out


def describe(expected: str, actual: str, *, limit: int = 60) -> str:
    """The text lines that differ, or, when the text is the same, the lines whose styles do."""
    text_diff = list(
        difflib.unified_diff(
            screen_lines(expected), screen_lines(actual), "expected", "actual", lineterm="", n=1
        )
    )
    if text_diff:
        return "the screen's text differs:\n" + "\n".join(text_diff[:limit])
    old, new = runs(expected), runs(actual)
    changed = [
        f"line {n}: expected {old.get(n)!r}\n        actual   {new.get(n)!r}"
        for n in sorted(set(old) | set(new))
        if old.get(n) != new.get(n)
    ]
    if changed:
        return "same text, different styles:\n" + "\n".join(changed[: limit // 4])
    return "same text and runs: the difference is in the SVG's styles or frame"


def describe_report(report: Path) -> str:
    """:func:`describe` for the data pytest-textual-snapshot pickled for its report."""
    import pickle

    try:
        data: tuple[Any, ...] = pickle.loads(report.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        return f"(no report to compare: {exc})"
    _result, expected, actual, *_ = data
    if not expected or expected == "None":
        return "(no snapshot on disk yet)"
    return describe(str(expected), str(actual))
