"""Display-safe copies of customer-controlled text.

Customers write the messages and names an agent reads, so that text may contain anything:
terminal escape sequences (``ESC [ 31 m``, OSC 52 clipboard writes, OSC 8 hyperlinks,
window-title sets, a forged bracketed-paste end, mouse-tracking switches), C1 controls that
some terminals obey as escapes (``U+009B`` is a one-byte CSI), bidirectional overrides that
make text read differently from what it is (``U+202E``), and invisible characters that hide
or join words (zero-width space, BOM, soft hyphen, ...).

The rules here:

* **Stored text is never changed.** Every function in this module takes a ``str`` and returns
  a *new display copy*; the caller keeps and stores the original exactly as received.
* Every character that could control a terminal or mislead a reader is replaced by a
  *visible* marker, so the agent sees that something was there:

  - C0 controls and DEL become Unicode control pictures (``ESC`` -> ``␛``, ``BEL`` -> ``␇``,
    ``CR`` -> ``␍``, ``DEL`` -> ``␡``). ``\\n`` and ``\\t`` are kept by :func:`safe_text`.
  - Everything else that is unsafe becomes ``⟨U+XXXX⟩`` (upper-case hex, at least four
    digits, more above ``U+FFFF``): C1 controls, every format character (category ``Cf``:
    bidi controls, zero-width characters, BOM, soft hyphen, tag characters, ...),
    unassigned (``Cn``), private-use (``Co``) and lone surrogates (``Cs``), the line and
    paragraph separators ``U+2028``/``U+2029`` (text stays on the lines it has), and the
    combining grapheme joiner ``U+034F`` (an invisible mark).
  - Letters, digits, punctuation, symbols, emoji, CJK, spaces (category ``Zs``) and
    combining marks are left as they are.

* The price of marking every ``Cf``: emoji ZWJ sequences (``👩\u200d💻``) and tag-based
  flags show their joiners as markers. Terminals disagree on how wide such sequences are,
  so marking them also keeps table columns aligned.
* Terminals also disagree on how wide an emoji is once a *modifier* follows it: a skin tone
  (``👍🏽``: 2 cells or 4), a presentation selector (``❤️``: 1 or 2) or a keycap (``1️⃣``).
  A line that a terminal draws wider than the console counted runs past the border. Such
  modifiers are left in :func:`safe_text` (it keeps everything harmless) and dropped by
  :func:`steady_width` -- and so by :func:`one_line` -- which every line the console draws
  goes through: ``👍``, ``❤``, ``1`` are as wide everywhere as the console counts them.
* When nothing needs replacing, the very same ``str`` object is returned (a check done by
  C-level ``str`` methods: about 5-10 ms per megabyte).
* Which characters are "assigned" follows the Unicode database of the running Python
  (:data:`unicodedata.unidata_version`).
* :func:`unstorable` says why a text cannot be stored exactly as received (a NUL, which
  PostgreSQL refuses, or a lone surrogate, which is not Unicode text at all): the services
  refuse such text with that reason instead of storing something else.
* These functions do **not** escape markup. The TUI must still render the result as plain
  ``Content``/``Text`` and never parse it as Textual/Rich markup; that escaping is the UI's
  job, not this module's.

This module is pure: standard library only.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

__all__ = [
    "escape_log",
    "escape_value",
    "is_plain",
    "one_line",
    "safe_text",
    "steady_width",
    "truncate_for_display",
    "unstorable",
]

#: Characters that are always shown as markers, whatever their category in the running
#: Unicode database. Most are ``Cf`` anyway; ``U+034F`` (combining grapheme joiner) is
#: ``Mn`` but invisible, and ``U+180E`` was ``Zs`` before Unicode 6.3.
_ALWAYS_MARKED: frozenset[int] = frozenset(
    {
        0x00AD,  # soft hyphen
        0x034F,  # combining grapheme joiner
        0x061C,  # arabic letter mark
        0x180E,  # mongolian vowel separator
        *range(0x200B, 0x2010),  # ZWSP, ZWNJ, ZWJ, LRM, RLM
        0x2028,  # line separator
        0x2029,  # paragraph separator
        *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
        *range(0x2060, 0x2065),  # word joiner, invisible operators
        *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI
        0xFEFF,  # BOM / zero-width no-break space
    }
)

#: Printable (per :meth:`str.isprintable`) characters that must still be marked.
_PRINTABLE_BUT_MARKED: tuple[str, ...] = tuple(
    sorted(chr(cp) for cp in _ALWAYS_MARKED if chr(cp).isprintable())
)

#: Kept by :func:`safe_text` and :func:`one_line`; escaped by :func:`escape_log`.
_LAYOUT = "\n\t"

#: Modifiers whose width terminals disagree on (see the module docstring): the variation
#: selectors for text and emoji presentation, the combining enclosing keycap, and the five
#: emoji skin tones.
_UNSTEADY: tuple[str, ...] = ("\ufe0e", "\ufe0f", "\u20e3", *map(chr, range(0x1F3FB, 0x1F400)))
_DROP_UNSTEADY = dict.fromkeys(map(ord, _UNSTEADY))

_ELLIPSIS = "…"
_NEWLINE_MARK = " ⏎ "


def _marker(ch: str) -> str:
    """The visible stand-in for one unsafe character."""
    cp = ord(ch)
    if cp < 0x20:
        return chr(0x2400 + cp)  # control pictures: ␀ .. ␟
    if cp == 0x7F:
        return "\u2421"  # ␡
    return f"⟨U+{cp:04X}⟩"


def _is_unsafe(ch: str) -> bool:
    """Whether one character must be replaced (``\\n``/``\\t`` count as unsafe here).

    :meth:`str.isprintable` is false exactly for categories ``Cc Cf Cs Co Cn Zl Zp Zs``
    (except the ASCII space); of those only ``Zs`` is safe.
    """
    if ord(ch) in _ALWAYS_MARKED:
        return True
    return not ch.isprintable() and unicodedata.category(ch) != "Zs"


class _Tables(NamedTuple):
    """Look-up data, built on first use (a few tens of milliseconds, once per process)."""

    #: ``str.translate`` tables indexed by BMP code point: the code point itself when safe,
    #: its marker when not. One keeps ``\\n``/``\\t`` (display), one does not (logs).
    keep_layout: list[int | str]
    flatten: list[int | str]
    #: Non-printable yet safe characters: the spaces of category ``Zs`` other than U+0020.
    spaces: tuple[str, ...]


@functools.cache
def _tables() -> _Tables:
    # A list indexed by code point makes ``str.translate`` about twice as fast as a dict;
    # astral code points fall off its end (IndexError, left as they are) and are dealt with
    # by ``_fix_astral`` when needed.
    flatten: list[int | str] = [
        _marker(c) if _is_unsafe(c) else ord(c) for c in map(chr, range(0x10000))
    ]
    keep_layout = list(flatten)
    for c in _LAYOUT:
        keep_layout[ord(c)] = ord(c)
    # Every Zs character is whitespace, so only whitespace needs a category look-up. All of
    # them are in the BMP; an astral one (should Unicode add one) would merely take the slow
    # path, which checks categories itself.
    spaces = tuple(
        c
        for c in map(chr, range(0x10000))
        if c.isspace() and not c.isprintable() and not _is_unsafe(c)
    )
    return _Tables(keep_layout, flatten, spaces)


def _strip_safe(text: str, allowed: Iterable[str]) -> str:
    for c in allowed:
        if c in text:
            text = text.replace(c, "")
    return text


def _all_safe(text: str, allowed: Iterable[str]) -> bool:
    """Whether no character of ``text`` needs a marker, using only C-level str methods.

    :meth:`str.isprintable` is false for ``Cc Cf Cs Co Cn Zl Zp Zs``; remove the allowed
    non-printables (``Zs`` spaces, and the layout characters where kept) and check again.
    """
    if not text.isprintable():
        text = _strip_safe(text, allowed)
        if not text.isprintable():
            return False
    return not any(c in text for c in _PRINTABLE_BUT_MARKED)


def _fix_astral(text: str) -> str:
    """Mark the unsafe astral (non-BMP) characters of ``text``.

    Each distinct character is classified once and ``str.translate`` does the rest in C.
    Every distinct character gets an entry (safe ones map to themselves): a missing key
    would cost an exception per character.
    """
    table: dict[int, int | str] = {}
    for c in set(text):
        cp = ord(c)
        table[cp] = _marker(c) if cp > 0xFFFF and _is_unsafe(c) else cp
    return text.translate(table)


def _sanitize(text: str, keep_layout: bool) -> str:
    if text.isprintable() and not any(c in text for c in _PRINTABLE_BUT_MARKED):
        return text  # the usual case, answered without building the tables (~25 ms, once)
    tables = _tables()
    allowed = (*_LAYOUT, *tables.spaces) if keep_layout else tables.spaces
    if _all_safe(text, allowed):
        return text
    out = text.translate(tables.keep_layout if keep_layout else tables.flatten)
    # Markers are printable, so anything still not printable (besides the allowed
    # characters) is an unsafe astral code point.
    if not _strip_safe(out, allowed).isprintable():
        out = _fix_astral(out)
    return out


def safe_text(text: str) -> str:
    """A display-safe copy of ``text``; ``\\n`` and ``\\t`` are kept.

    Control characters, format characters, separators ``U+2028``/``U+2029``, unassigned,
    private-use and surrogate code points are replaced by visible markers (see the module
    docstring). If nothing needs replacing, ``text`` itself is returned.
    """
    return _sanitize(text, keep_layout=True)


def steady_width(text: str) -> str:
    """``text`` without the emoji modifiers terminals draw at different widths (skin tones,
    presentation selectors, keycaps): as wide on every terminal as the console counts it.
    Returns ``text`` itself when it has none. For display copies only, like the rest here."""
    if not any(c in text for c in _UNSTEADY):
        return text
    return text.translate(_DROP_UNSTEADY)


def escape_log(text: str) -> str:
    """A copy of ``text`` fit for one log record on one line.

    Like :func:`safe_text`, but ``\\n`` and ``\\t`` are replaced as well, by their control
    pictures ``␊`` and ``␉`` -- the same rule as every other C0 control, so the result holds
    no raw line break (``\\n``, ``\\r``, ``U+0085``, ``U+2028``, ``U+2029``), no ``ESC`` and
    no C1 control. Backslashes are left alone: the record is for reading, not for parsing
    back, and a literal ``␊`` typed by a customer is indistinguishable from an escaped one.
    """
    return _sanitize(text, keep_layout=False)


def is_plain(text: str) -> bool:
    """Whether :func:`escape_log` would leave ``text`` as it is (cheap when it would)."""
    if text.isprintable() and not any(c in text for c in _PRINTABLE_BUT_MARKED):
        return True
    return escape_log(text) == text


def escape_value(text: str, limit: int | None = None, *, quotes: bool = False) -> str:
    """:func:`escape_log` for a value quoted in a one-line message, clipped to ``limit``.

    With ``quotes`` backslashes and double quotes are escaped too and the result is wrapped in
    double quotes. Past ``limit`` characters the rest becomes ``...`` (inside the quotes); a
    marker is never cut in half.
    """
    pieces: list[str] = []
    size = 0
    for ch in text:
        piece = "\\" + ch if quotes and ch in '\\"' else escape_log(ch)
        if limit is not None and size + len(piece) > limit:
            pieces.append("...")
            break
        pieces.append(piece)
        size += len(piece)
    body = "".join(pieces)
    return f'"{body}"' if quotes else body


def truncate_for_display(text: str, limit: int) -> tuple[str, int]:
    """The first ``limit`` characters of ``text`` and how many characters were left out.

    For "show more" on huge messages. Truncate the *stored* text first and pass the head to
    :func:`safe_text` afterwards, so a marker is never cut in half. If ``text`` fits, it is
    returned itself with ``0``.

    Raises :class:`ValueError` if ``limit`` is negative.
    """
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


_LINE_BREAKS = re.compile(r"[ \t]*\n[ \t\n]*")
_PARTIAL_MARKER = re.compile(r"⟨(?:U(?:\+[0-9A-F]{0,6})?)?\Z")


def one_line(text: str, limit: int = 80) -> str:
    """A single-line, display-safe preview of ``text`` of at most ``limit`` characters.

    For table cells and previews: the text is made safe (:func:`safe_text`), leading and
    trailing blanks/line breaks are dropped, each run of line breaks (with the blanks around
    it) becomes ``" ⏎ "``, each remaining tab a space. If the result is longer than
    ``limit`` it is cut to ``limit - 1`` characters plus ``"…"``; a ``⟨U+…⟩`` marker cut in
    half is dropped whole.

    Raises :class:`ValueError` if ``limit`` is less than 1.
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    line = steady_width(safe_text(text)).strip(" \t\n")
    line = _LINE_BREAKS.sub(_NEWLINE_MARK, line).replace("\t", " ")
    if len(line) <= limit:
        return line
    head = _PARTIAL_MARKER.sub("", line[: limit - 1])
    return head + _ELLIPSIS


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored byte-identical on every backend; None when it can.

    Two things cannot: ``U+0000`` (PostgreSQL text refuses it, SQLite would keep it: the same
    message must not be storable on one and not the other) and lone surrogates
    (``U+D800``-``U+DFFF`` alone are not Unicode text and have no UTF-8 form). The reason
    names the code point and its position, never the text itself.
    """
    nul = text.find("\x00")
    if nul >= 0:
        return f"it contains a NUL character (U+0000) at position {nul}"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        cp = ord(text[exc.start])
        return f"it contains a lone surrogate U+{cp:04X} at position {exc.start} (not Unicode text)"
    return None


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 session``, ``3 sessions`` (``many``: the plural when it is not ``word + "s"``)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
