"""Textual's widget render caches, no longer kept alive by a shared cache after their widget.

``StylesCache.get_inner_outer`` (Textual 8.2.8) is an instance method under ``lru_cache``: the
cache's key holds the instance, so up to 1,024 widgets' ``StylesCache`` objects -- each with
the lines it last rendered, their strips and the strips' caches -- stay in memory after the
widgets are gone (Textual issue #6665, open). In a console that redraws its list and its
footer keys all day that is a few megabytes held for nothing; in a test worker that has run
hundreds of apps it was most of the heap the collector walks on every full collection.

The answer depends only on the two colours, so the cache here is keyed on them alone, around
Textual's own function (which does not use its first argument).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from textual._styles_cache import StylesCache
from textual.color import Color

_textuals = getattr(StylesCache.get_inner_outer, "__wrapped__", None)


@lru_cache(1024)
def _inner_outer(base_background: Color, background: Color) -> Any:
    assert _textuals is not None
    return _textuals(None, base_background, background)


def _get_inner_outer(self: StylesCache, base_background: Color, background: Color) -> Any:
    return _inner_outer(base_background, background)


def install() -> None:
    """Key Textual's inner/outer background cache on the colours only (once; a Textual whose
    method is not an ``lru_cache`` wrapper any more is left as it is)."""
    if _textuals is not None:
        StylesCache.get_inner_outer = _get_inner_outer  # type: ignore[assignment,method-assign]
