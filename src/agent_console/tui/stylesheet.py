"""Textual's stylesheet, whose reparse parses only the CSS it has not parsed yet.

The first time a screen whose CSS file the app has not read yet is shown (each of the
console's dialogs and lists has its own ``CSS_PATH``), Textual 8.2.8 reads the file and calls
``Stylesheet.reparse``, which parses every source again in a new stylesheet: the app's, the
screens' read so far and every widget's ``DEFAULT_CSS``. On the loaded console (22 sources)
that took 34-52 ms before the dialog could open; this reparse takes 0.2-0.8 ms.

The parse results are already in a cache, keyed on the variables they were parsed with (a
new theme's are parsed again), so a reparse can take them from there and parse only what is
new. A source with an error still raises and leaves the
stylesheet's rules as they were, as Textual's reparse does; later reparses then pass over it
(Textual's ``parse`` skips what failed) until the variables change, where Textual's reparse
raised again. The console's CSS is fixed and a theme's colours are checked when it is read.

That cache is the process's, not the stylesheet's: going back to a theme used before parses
nothing, and every app a process starts (the test suite starts hundreds) parses the
console's CSS once, not once each.
"""

from __future__ import annotations

from textual.cache import LRUCache
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet as TextualStylesheet
from textual.css.types import CSSLocation

#: Parsed sources kept (Textual keeps 64 per stylesheet): every widget class's DEFAULT_CSS, the
#: app's and the screens' files -- the console has 22 at start, a few more per screen shown --
#: for a few sets of variables (themes); a cache smaller than one set would parse some of them
#: again on every parse.
PARSE_CACHE_SIZE = 256

#: Rules parsed in this process: (variables, then Textual's own cache key) -> rules. Parsed
#: rules are only read afterwards, by every stylesheet that takes them.
_parsed: LRUCache[tuple[object, ...], list[RuleSet]] = LRUCache(PARSE_CACHE_SIZE)


def forget_parsed() -> None:
    """Empty the process's cache of parsed rules (for tests that count parses)."""
    _parsed.clear()


class Stylesheet(TextualStylesheet):
    def __init__(self, *, variables: dict[str, str] | None = None) -> None:
        super().__init__(variables=variables)
        self._variables_key: tuple[tuple[str, str], ...] | None = None

    @classmethod
    def replacing(cls, stylesheet: TextualStylesheet) -> Stylesheet:
        """This stylesheet in place of ``stylesheet``, one that has read no source yet (the
        app's own, just made)."""
        if stylesheet.source:
            raise ValueError("the stylesheet to replace has read its sources already")
        return cls(variables=stylesheet._variables)

    def set_variables(self, variables: dict[str, str]) -> None:
        super().set_variables(variables)
        self._variables_key = None

    def _parse_rules(
        self,
        css: str,
        read_from: CSSLocation,
        is_default_rules: bool = False,
        tie_breaker: int = 0,
        scope: str = "",
    ) -> list[RuleSet]:
        if self._variables_key is None:
            self._variables_key = tuple(sorted(self._variables.items()))
        key = (self._variables_key, css, read_from, is_default_rules, tie_breaker, scope)
        rules = _parsed.get(key)
        if rules is None:
            rules = super()._parse_rules(css, read_from, is_default_rules, tie_breaker, scope)
            _parsed[key] = rules
        return rules

    def reparse(self) -> None:
        # Textual's parses every source again in a new stylesheet, with an empty cache.
        self.parse()
