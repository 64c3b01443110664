"""Display-safe copies of customer text: nothing a customer types can drive the terminal."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from typing import Literal, get_args

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from agent_console.domain.text import (
    escape_log,
    one_line,
    safe_text,
    steady_width,
    truncate_for_display,
)

ESC = "\x1b"
BEL = "\x07"

#: Categories that must never reach the screen (``\n``/``\t`` aside).
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
#: Named in the spec; marked whatever their category in this Python's Unicode database.
EXPLICIT = frozenset(
    {
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        0x200E,
        0x200F,
        0x061C,
        *range(0x200B, 0x200E),
        *range(0x2060, 0x2065),
        0xFEFF,
        0x00AD,
        0x180E,
        0x034F,
        0x2028,
        0x2029,
    }
)


def oracle(text: str) -> str:
    """An independent, slow, per-character statement of what ``safe_text`` must return."""
    out = []
    for c in text:
        cp = ord(c)
        if c in "\n\t":
            out.append(c)
        elif cp < 0x20:
            out.append(chr(0x2400 + cp))
        elif cp == 0x7F:
            out.append("␡")
        elif cp in EXPLICIT or unicodedata.category(c) in UNSAFE_CATEGORIES:
            out.append(f"⟨U+{cp:04X}⟩")
        else:
            out.append(c)
    return "".join(out)


def assert_display_safe(out: str, *, newlines_allowed: bool = True) -> None:
    allowed = "\n\t" if newlines_allowed else ""
    for c in out:
        cat = unicodedata.category(c)
        assert c in allowed or cat not in UNSAFE_CATEGORIES, (repr(c), cat, out)
        assert ord(c) not in EXPLICIT, (repr(c), out)
    assert ESC not in out
    assert not any(0x80 <= ord(c) <= 0x9F for c in out)


# --- concrete attacks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param("\x1b[31mred\x1b[0m", "␛[31mred␛[0m", id="SGR colour"),
        pytest.param("\x1b]52;c;aGVsbG8=\x07", "␛]52;c;aGVsbG8=␇", id="OSC 52 clipboard"),
        pytest.param(
            "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
            "␛]8;;https://evil.example/␛\\click␛]8;;␛\\",
            id="OSC 8 hyperlink",
        ),
        pytest.param("\x1b]0;pwned\x07", "␛]0;pwned␇", id="window title"),
        pytest.param("\x1b[201~rm -rf ~\r", "␛[201~rm -rf ~␍", id="bracketed paste end"),
        pytest.param("\x1b[?1000h", "␛[?1000h", id="mouse tracking on"),
        pytest.param("\x9b31m", "⟨U+009B⟩31m", id="CSI via C1"),
        pytest.param("\x9d0;pwned\x9c", "⟨U+009D⟩0;pwned⟨U+009C⟩", id="OSC via C1"),
        pytest.param("\x85", "⟨U+0085⟩", id="NEL"),
        pytest.param("\x80\x9f", "⟨U+0080⟩⟨U+009F⟩", id="C1 bounds"),
        pytest.param("\x00\x01\x1f", "␀␁␟", id="C0 bounds"),
        pytest.param("a\x7fb", "a␡b", id="DEL"),
        pytest.param("ring\x07", "ring␇", id="BEL"),
        pytest.param("\x08\x08\x08***", "␈␈␈***", id="backspace overwrite"),
        pytest.param("done\rfake", "done␍fake", id="CR overwrite"),
        pytest.param("\x0b\x0c", "␋␌", id="VT FF"),
    ],
)
def test_terminal_controls_are_shown_not_obeyed(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown
    assert ESC not in safe_text(raw)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param("invoice_\u202eFDP.exe", "invoice_⟨U+202E⟩FDP.exe", id="RLO"),
        pytest.param("\u202a\u202b\u202c\u202d", "⟨U+202A⟩⟨U+202B⟩⟨U+202C⟩⟨U+202D⟩", id="LRE-LRO"),
        pytest.param("\u2066\u2067\u2068\u2069", "⟨U+2066⟩⟨U+2067⟩⟨U+2068⟩⟨U+2069⟩", id="isolates"),
        pytest.param("a\u200eb\u200fc\u061c", "a⟨U+200E⟩b⟨U+200F⟩c⟨U+061C⟩", id="marks"),
        pytest.param("pay\u200bpal", "pay⟨U+200B⟩pal", id="zero width space"),
        pytest.param("a\u200cb\u200db", "a⟨U+200C⟩b⟨U+200D⟩b", id="ZWNJ ZWJ"),
        pytest.param("\ufeffhello", "⟨U+FEFF⟩hello", id="BOM"),
        pytest.param("a\u2060b\u2064", "a⟨U+2060⟩b⟨U+2064⟩", id="word joiner etc"),
        pytest.param("ad\u00admin", "ad⟨U+00AD⟩min", id="soft hyphen"),
        pytest.param("a\u180eb", "a⟨U+180E⟩b", id="mongolian vowel separator"),
        pytest.param("a\u034fb", "a⟨U+034F⟩b", id="combining grapheme joiner"),
        pytest.param("\U000e0041\U000e007f", "⟨U+E0041⟩⟨U+E007F⟩", id="tag characters (Cf)"),
        pytest.param("line\u2028two\u2029", "line⟨U+2028⟩two⟨U+2029⟩", id="LS PS"),
        pytest.param("\ue000\U000f0000\U0010fffd", "⟨U+E000⟩⟨U+F0000⟩⟨U+10FFFD⟩", id="private use"),
        pytest.param("\U0010ffff\U000e0fff", "⟨U+10FFFF⟩⟨U+E0FFF⟩", id="unassigned"),
        pytest.param("\ud800x\udfff", "⟨U+D800⟩x⟨U+DFFF⟩", id="lone surrogates"),
        pytest.param("😀\U000e0001😀", "😀⟨U+E0001⟩😀", id="astral Cf between emoji"),
    ],
)
def test_invisible_and_misleading_characters_are_marked(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown


@pytest.mark.parametrize(
    "plain",
    [
        "",
        "Hello, my order #1234 hasn't arrived!",
        "Grüße aus Köln – 10 € bitte",
        "第一行\n\t第二行",
        "😀👍🏽🇩🇪 ok",
        "e\u0301 combining acute, \u20dd enclosing circle, \u0903 spacing mark",
        "no\u00a0break\u3000ideographic\u2009thin space",
        "مرحبا بالعالم",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 \U00020000",
    ],
)
def test_ordinary_text_is_returned_itself(plain: str) -> None:
    assert safe_text(plain) is plain
    assert oracle(plain) == plain


def test_newline_and_tab_are_kept() -> None:
    assert safe_text("a\nb\tc\n") == "a\nb\tc\n"
    assert safe_text("a\n\x1bb") == "a\n␛b"


def test_stored_text_is_not_changed() -> None:
    raw = "\x1b]0;pwned\x07 hi"
    before = raw.encode("utf-8")
    safe_text(raw)
    escape_log(raw)
    one_line(raw)
    assert raw.encode("utf-8") == before


# --- escape_log -------------------------------------------------------------------------


def test_escape_log_flattens_layout_to_control_pictures() -> None:
    assert escape_log("a\nb\tc\r\n") == "a␊b␉c␍␊"
    assert escape_log("plain log line") == "plain log line"
    assert escape_log("\x1b[2J\x9b\u2028") == "␛[2J⟨U+009B⟩⟨U+2028⟩"


def test_escape_log_returns_clean_text_itself() -> None:
    clean = "agent dana ended session 42 — 😀"
    assert escape_log(clean) is clean


# --- truncate_for_display ---------------------------------------------------------------


def test_truncate_for_display() -> None:
    assert truncate_for_display("abcdef", 4) == ("abcd", 2)
    assert truncate_for_display("abcdef", 0) == ("", 6)
    text = "short"
    head, hidden = truncate_for_display(text, 5)
    assert head is text
    assert hidden == 0
    with pytest.raises(ValueError):
        truncate_for_display("x", -1)


# --- one_line ---------------------------------------------------------------------------


def test_one_line_joins_lines_and_tabs() -> None:
    assert one_line("  hello\n\n  world\tthere\r\n") == "hello ⏎ world there␍"
    assert one_line("a\tb") == "a b"
    assert one_line("\x1b]0;x\x07") == "␛]0;x␇"


def test_one_line_cuts_with_ellipsis() -> None:
    assert one_line("x" * 100, 10) == "x" * 9 + "…"
    assert one_line("x" * 10, 10) == "x" * 10
    assert len(one_line("x" * 100)) == 80
    assert one_line("hello", 1) == "…"
    with pytest.raises(ValueError):
        one_line("x", 0)


def test_one_line_never_leaves_half_a_marker() -> None:
    assert one_line("abcdef\u202ezzzz", 10) == "abcdef…"
    assert one_line("abcdefgh\u202e", 10) == "abcdefgh…"
    assert one_line("abc\u202ezzzzzzzz", 12) == "abc⟨U+202E⟩…"
    assert one_line("abc\u202ezzzzzzzz", 13) == "abc⟨U+202E⟩z…"


# --- properties -------------------------------------------------------------------------

Hostile = Literal["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs", "L", "M", "N", "P", "S"]
Ordinary = Literal["L", "M", "N", "P", "S", "Zs"]
HOSTILE_CATEGORIES: tuple[Hostile, ...] = get_args(Hostile)
ORDINARY_CATEGORIES: tuple[Ordinary, ...] = get_args(Ordinary)

ANY_CATEGORY = st.characters(
    codec=None,
    categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "L", "N", "P", "S", "Z"),
)
EVERYTHING = st.characters(codec=None, categories=None, exclude_categories=())
#: Drawn from one category at a time, so that rare ones (Zl, Zp, Cc, astral Cf) show up as
#: often as the huge ones (Cn, Lo) instead of in proportion to their number of code points.
#: (``flatmap``, because Hypothesis merges a plain ``one_of`` of ``characters`` strategies
#: back into a single one weighted by code points.)
EACH_CATEGORY = st.sampled_from(HOSTILE_CATEGORIES).flatmap(
    lambda cat: st.characters(codec=None, categories=(cat,))
)
SPECIMENS = st.sampled_from(
    [ESC, BEL, "\n", "\t", "\r", "\x9b", "\x85", "\u2028", "\u202e", "\u034f", "😀", "\U000e0041"]
)
hostile_texts = st.text(alphabet=st.one_of(ANY_CATEGORY, EVERYTHING, EACH_CATEGORY, SPECIMENS))
#: Text that needs no marker at all: letters, marks, digits, punctuation, symbols, spaces.
ordinary_texts = st.text(
    alphabet=st.sampled_from(ORDINARY_CATEGORIES).flatmap(
        lambda cat: st.characters(codec=None, categories=(cat,), exclude_characters="\u034f")
    )
)


@given(hostile_texts)
@example("\x1b[31m\u202e\x9b\ud800\U0010ffff\n\t")
def test_safe_text_matches_the_per_character_rule(text: str) -> None:
    assert safe_text(text) == oracle(text)


@given(hostile_texts)
def test_safe_text_output_is_display_safe(text: str) -> None:
    out = safe_text(text)
    assert_display_safe(out)
    assert out.count("\n") == text.count("\n")
    assert out.count("\t") == text.count("\t")


@given(hostile_texts)
def test_safe_text_is_idempotent(text: str) -> None:
    once = safe_text(text)
    twice = safe_text(once)
    assert twice == once
    assert twice is once


@given(hostile_texts)
def test_input_is_left_alone(text: str) -> None:
    before = text.encode("utf-8", "surrogatepass")
    safe_text(text)
    escape_log(text)
    one_line(text, 20)
    assert text.encode("utf-8", "surrogatepass") == before


@given(ordinary_texts)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert safe_text(text) is text
    assert escape_log(text) is text


@given(hostile_texts)
def test_escape_log_is_one_safe_line(text: str) -> None:
    out = escape_log(text)
    assert_display_safe(out, newlines_allowed=False)
    for breaker in ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028"):
        assert breaker not in out
    assert out == safe_text(text).replace("\n", "␊").replace("\t", "␉")


@given(hostile_texts, st.integers(min_value=1, max_value=120))
def test_one_line_is_one_short_safe_line(text: str, limit: int) -> None:
    out = one_line(text, limit)
    assert len(out) <= limit
    assert "\n" not in out
    assert "\t" not in out
    assert_display_safe(out, newlines_allowed=False)
    if len(oracle(text).strip(" \t\n")) <= limit and "\n" not in text and "\t" not in text:
        assert out == steady_width(oracle(text)).strip(" ")


@given(st.text(alphabet=EVERYTHING), st.integers(min_value=0, max_value=50))
def test_truncate_keeps_the_head_and_counts_the_rest(text: str, limit: int) -> None:
    head, hidden = truncate_for_display(text, limit)
    assert head == text[:limit]
    assert hidden == max(0, len(text) - limit)
    assert len(head) + hidden == len(text)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param("👍🏽 ok", "👍 ok", id="skin tone"),
        pytest.param("❤️ and ✔️", "❤ and ✔", id="VS16"),
        pytest.param("😀\ufe0e", "😀", id="VS15"),
        pytest.param("1️⃣", "1", id="keycap"),
        pytest.param("🇯🇵 👩👩👧", "🇯🇵 👩👩👧", id="flags and plain emoji kept"),
    ],
)
def test_steady_width_drops_the_modifiers_terminals_size_differently(raw: str, shown: str) -> None:
    """Issue 11: a skin tone is 2 cells or 4, VS16 makes 1 cell 2, depending on the terminal;
    without them every terminal draws the line as wide as the console counts it."""
    assert steady_width(raw) == shown
    assert one_line(raw) == shown
    plain = "no modifiers 😀🇩🇪"
    assert steady_width(plain) is plain


# --- size -------------------------------------------------------------------------------

MB = 1_000_000


def best_of(runs: int, fn: Callable[[str], str], arg: str) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return min(times)


@pytest.mark.parametrize(
    ("text", "clean", "bound"),
    [
        pytest.param(
            ("Hello, I still have not received my parcel.\n" * MB)[:MB], True, 0.5, id="ascii"
        ),
        pytest.param(
            ("Grüße 你好 مرحبا 😀👍🏽\u00a0ok\n\t" * MB)[:MB], True, 0.5, id="multilingual clean"
        ),
        pytest.param("x" * (MB - 1) + ESC, False, 0.5, id="one ESC at the end"),
        # Every few characters replaced, astral ones included: the slowest path, and the
        # output is 1.7 times the input. Typically ~0.2 s; the bound is looser.
        pytest.param(
            ("Grüße 你好 😀\x1b[31m \u202e\x9b\U000e0041\n" * MB)[:MB], False, 1.0, id="hostile"
        ),
    ],
)
@pytest.mark.timing
def test_a_megabyte_is_fast(text: str, clean: bool, bound: float) -> None:
    safe_text("warm up the lazily built tables \x1b")
    assert (safe_text(text) is text) is clean
    assert best_of(3, safe_text, text) < bound
    assert best_of(3, escape_log, text) < bound
    assert_display_safe(safe_text(text)[-1000:])
