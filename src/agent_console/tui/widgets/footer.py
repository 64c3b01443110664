"""The key footer every screen shows: Textual's ``Footer``, without its memory leak.

Textual's footer rebuilds its keys (``recompose``) every time the screen's bindings are
refreshed, and each new key binds its ``compact`` to the footer's (``data_bind``). A binding
is a watcher kept on the footer, and Textual forgets the watchers of removed widgets only
when the watched value changes -- the footer's ``compact`` never does, so every key the footer
ever showed stayed in memory with its styles and caches (Textual issue #6666, open in 8.2.8).
The console refreshes its bindings on every refresh (the End Chat and Close tab keys follow
the open session), and the living demo refreshes every few seconds: the demo grew by about
1.4 MB a minute. This footer forgets the removed keys' watchers after each rebuild.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.dom import DOMNode
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen


def forget_closed_watchers(node: DOMNode) -> int:
    """Drop the watchers that widgets since removed left on ``node``; how many were dropped.

    The same test Textual applies when a watched value changes (the watcher's owner is
    closing), applied now rather than at a change that may never come."""
    dropped = 0
    # Textual keeps them under this literal attribute name (textual.reactive._watch).
    watchers: dict[str, list[tuple[DOMNode, object]]] = getattr(node, "__watchers", {})
    for entries in watchers.values():
        kept = [(owner, callback) for owner, callback in entries if not _gone(owner)]
        dropped += len(entries) - len(kept)
        entries[:] = kept
    return dropped


def _gone(owner: object) -> bool:
    return bool(getattr(owner, "_closing", False) or getattr(owner, "_closed", False))


class Footer(TextualFooter):
    """Textual's footer, whose rebuilt keys no longer pile up in memory, rebuilt once for any
    number of binding changes between two refreshes.

    Textual's footer queues a rebuild for every change of the screen's bindings; the console
    changes them several times while it shows a snapshot (focus, the open session, End Chat's
    state), and each rebuild makes every key again with its styles. Only the last one shows:
    the footers of a start on 100,000 sessions rebuilt 6 times before the sessions were drawn,
    4 times now."""

    _rebuild_queued: bool = False
    #: What the keys shown were made from (``_shown``); None before the first rebuild.
    _made_from: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        # Textual's, but one rebuild queued at a time (it queues one per change).
        self._bindings_ready = True
        if not screen.app.app_focus or self._rebuild_queued:
            return
        if self.is_attached and screen is self.screen:
            self._rebuild_queued = True
            self.call_after_refresh(self._rebuild)

    def compose(self) -> ComposeResult:
        """Textual's keys, each made already as compact as the footer.

        A key is made compact (its ``compact`` defaults to True) and then, once mounted, bound
        to the footer's ``compact``, which sets it again and runs its watcher even when the
        value is the same: every rebuild restyled every key it had just styled (0.76 s of a
        quick-replies test's 12 s under the profiler). A key made with its final value and
        class has nothing left to change once mounted."""
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # The command palette's key is not bound: compact, Textual's default, always.
                compact = self.compact or widget.has_class("-command-palette")
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget

    async def _rebuild(self) -> None:
        self._rebuild_queued = False
        if not self.is_attached:
            return  # its screen went meanwhile (a dialog dismissed)
        if self._shown() != self._made_from:
            await self.recompose()
        # else: the same keys in the same states -- nothing to make again

    async def recompose(self) -> None:
        # Taken before the rebuild: a binding that changes meanwhile queues another one,
        # which then differs from this and rebuilds.
        shown = self._shown()
        await super().recompose()
        forget_closed_watchers(self)
        self._made_from = shown

    def _shown(self) -> tuple[object, ...]:
        """Everything ``compose`` makes the keys from: each shown binding with its display,
        state and tooltip, the palette's key, and the footer's look.

        The console refreshes its bindings on every refresh (End Chat and Close tab follow
        the open session), and most refreshes change none of them: the living demo rebuilt
        its footer every few seconds for nothing, and the footers' rebuilds were 3% of the
        console tests' CPU."""
        app = self.app
        keys = tuple(
            (binding, app.get_key_display(binding), enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == app.COMMAND_PALETTE_BINDING
        )
        palette = self.show_command_palette and app.ENABLE_COMMAND_PALETTE
        # Before the screen's bindings are ready, compose makes no key at all.
        return (self._bindings_ready, keys, palette, self._look())

    def _look(self) -> object:
        """What else the keys are made from (compact)."""
        return self.compact
