"""Hostile text for row 9: a corpus of real terminal attacks and Hypothesis strategies over the
control, format and surrogate categories, plus the checks every rendered segment must pass."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

#: Escape sequences terminals obey, and markup Textual would parse if given the chance.
CORPUS: tuple[str, ...] = (
    "\x1b]52;c;cm0gLXJmIH4vKg==\x07",  # OSC 52: write the agent's clipboard
    "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b]0;pwned title\x07",  # window / icon title set
    "\x1b]2;another title\x1b\\",
    "\x1b[2J\x1b[H\x1b[10;20H\x1b[1A\x1b[K",  # clear screen, cursor moves, erase line
    "\x1b[201~",  # bracketed-paste end: what follows would be "typed"
    "\x1b[200~rm -rf ~\x1b[201~",
    "\x1b[?1000h\x1b[?1003h\x1b[?1006h",  # mouse tracking on
    "\x1b[?1049l",  # leave the alternate screen
    "\x9b31m\x9d0;C1 title\x9c",  # C1 CSI / OSC / ST: one byte each on some terminals
    "\x1bP+q544e\x1b\\",  # DCS: a terminfo query the terminal answers as "input"
    "\x1b[6n\x1b[21t",  # cursor / title report requests
    "\x1bc",  # full reset
    "\u202eevil\u202c \u2066isolated\u2069",  # bidi overrides
    "zero\u200bwidth\ufeffbom\u00adsoft",
    "line one\r\nforged second record\n2026-11-23 09:00:00,000 ERROR fake",
    "\u2028\u2029\x85",  # line and paragraph separators, NEL
    "\x08\x08\x08\x07\x7f",  # backspaces, bell, DEL
    "[@click=app.quit]quit[/]",  # Textual action markup
    "[b]bold[/b] [link=https://x.example]l[/link] [/] [red",
    "$variable $primary",
)

BAD_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn")

#: Pieces: corpus entries, runs of control/format/surrogate/private/unassigned characters,
#: and ordinary text; joined into one string.
hostile_text = st.lists(
    st.one_of(
        st.sampled_from(CORPUS),
        st.text(st.characters(categories=BAD_CATEGORIES), min_size=1, max_size=4),
        st.text(max_size=6),
    ),
    min_size=1,
    max_size=5,
).map("".join)


def _forbidden(ch: str) -> bool:
    """A character no rendered segment may hold: ESC and every C0/C1 control but the newline,
    DEL, and the invisible or reordering format characters."""
    cp = ord(ch)
    if ch == "\n":
        return False
    if cp < 0x20 or cp == 0x7F or 0x80 <= cp <= 0x9F:
        return True
    return unicodedata.category(ch) in ("Cf", "Cs", "Zl", "Zp")


def bad_characters(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if _forbidden(c)]


def check_segments(segments: Iterable[Any], where: str) -> int:
    """No forbidden character, no hyperlink, no action in any segment; returns how many."""
    n = 0
    for segment in segments:
        n += 1
        text = segment.text
        assert not bad_characters(text), (where, bad_characters(text), text[:80])
        style = segment.style
        if style is not None:
            assert not style.link, (where, style.link)
            meta = style.meta or {}
            assert not any("click" in str(k) or "click" in str(v) for k, v in meta.items()), (
                where,
                meta,
            )
    return n


def check_line(message: str, where: str) -> None:
    """An error message or log record: one line, nothing a terminal would obey."""
    assert "\n" not in message and "\r" not in message, (where, message)
    assert not bad_characters(message), (where, bad_characters(message), message[:120])
