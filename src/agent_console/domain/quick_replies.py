"""Quick replies: canned texts an agent inserts into the composer, with placeholders filled.

A template is plain text with placeholders in braces -- ``Hi {customer}, I'm {agent}.`` -- and
``{{`` / ``}}`` for a literal brace. The placeholders are :data:`PLACEHOLDERS`; anything else in
braces (an unknown name, a format spec such as ``{customer:>9}``, a lone ``{`` or ``}``) is
refused when the template is saved, with the reason and where it is.

:func:`render` fills a checked template. Each value is inserted as plain text: it is never read
as a template again (a customer named ``{agent}`` stays ``{agent}``), its control characters
become visible markers (:func:`~agent_console.domain.text.safe_text`) and its line breaks
spaces, so a customer's name cannot smuggle escape sequences or lines into the agent's reply.
Nothing here is markup; the console shows the result as plain text.

This module is pure: standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .text import safe_text, unstorable

__all__ = [
    "MAX_NAME",
    "MAX_TEXT",
    "PLACEHOLDERS",
    "Placeholder",
    "TemplateError",
    "check_name",
    "check_template",
    "parse_template",
    "render",
]

#: Every placeholder a template may use, with what it is filled with.
PLACEHOLDERS: dict[str, str] = {
    "customer": "the customer's name",
    "agent": "your name (the agent inserting it)",
    "channel": "the session's channel (e.g. Standard SMS)",
}
MAX_NAME = 80
MAX_TEXT = 2000

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x85]")


class TemplateError(ValueError):
    """A quick reply's name or text the product does not accept (the message says why)."""


@dataclass(frozen=True)
class Placeholder:
    """``{name}`` in a template."""

    name: str


Segment = str | Placeholder


def _known() -> str:
    return ", ".join("{" + name + "}" for name in PLACEHOLDERS)


def parse_template(text: str) -> tuple[Segment, ...]:
    """The template as literal text and placeholders, in order (``{{`` and ``}}`` are already
    single braces in the literals); TemplateError with the reason and the position (1-based
    character) of the first thing that is not allowed."""
    segments: list[Segment] = []
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "{" and text.startswith("{{", i):
            literal.append("{")
            i += 2
        elif ch == "}" and text.startswith("}}", i):
            literal.append("}")
            i += 2
        elif ch == "{":
            end = text.find("}", i + 1)
            opening = text.find("{", i + 1)
            if end < 0 or 0 <= opening < end:
                raise TemplateError(
                    f"a lone {{ at character {i + 1}: write {{{{ for a brace, or close the "
                    f"placeholder ({_known()})"
                )
            name = text[i + 1 : end]
            if name not in PLACEHOLDERS:
                shown = safe_text(name)[:40]
                raise TemplateError(
                    f"unknown placeholder {{{shown}}} at character {i + 1}; the placeholders "
                    f"are {_known()} (write {{{{ and }}}} for literal braces)"
                )
            if literal:
                segments.append("".join(literal))
                literal = []
            segments.append(Placeholder(name))
            i = end + 1
        elif ch == "}":
            raise TemplateError(f"a lone }} at character {i + 1}: write }}}} for a brace")
        else:
            literal.append(ch)
            i += 1
    if literal:
        segments.append("".join(literal))
    return tuple(segments)


def check_template(text: str) -> str:
    """``text`` when it can be saved as a quick reply's text; TemplateError with why not."""
    if not text.strip():
        raise TemplateError("a quick reply's text cannot be empty")
    if len(text) > MAX_TEXT:
        raise TemplateError(
            f"a quick reply's text is at most {MAX_TEXT:,} characters, this one has {len(text):,}"
        )
    why = unstorable(text)
    if why is not None:
        raise TemplateError(f"the text cannot be stored: {why}")
    parse_template(text)
    return text


def check_name(name: str) -> str:
    """The name as stored (surrounding blanks dropped); TemplateError with why not."""
    clean = name.strip()
    if not clean or len(clean) > MAX_NAME or not clean.isprintable():
        raise TemplateError(
            f"bad quick reply name {safe_text(name)[:100]!r}: 1 to {MAX_NAME} printable "
            "characters on one line"
        )
    return clean


def _plain(value: str) -> str:
    """A value as inserted: one line, every control character a visible marker."""
    return safe_text(_LINE_BREAKS.sub(" ", value)).replace("\t", " ")


def render(template: str, values: Mapping[str, str]) -> str:
    """The template with each placeholder replaced by its value, as plain text (see the
    module docstring). A placeholder without a value is left empty."""
    out: list[str] = []
    for segment in parse_template(template):
        if isinstance(segment, Placeholder):
            out.append(_plain(values.get(segment.name, "")))
        else:
            out.append(segment)
    return "".join(out)
