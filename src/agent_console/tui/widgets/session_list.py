"""The agent's open sessions, one entry per tab; choosing one opens it.

An entry whose session has a line that did not reach the customer's channel says so after
its status: "✗ not delivered" (a delivery gave up) or "⟳ retrying"; one whose End Chat waits
out its Undo time says "ending".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from ...domain.outbox import DeliveryState
from ...domain.text import one_line
from ..messages import SessionPicked

if TYPE_CHECKING:
    from ...services.views import SessionRow

CUSTOMER_WIDTH = 22
EMPTY = "No open sessions.\nWork routed to you appears here."
STATUS_STYLES = {
    "Active": "$status-active",
    "Inactive": "$status-inactive",
    "Ended": "$status-ended",
}
#: What an entry says of its session's worst delivery (failed, or being retried).
DELIVERY_MARKS = {
    DeliveryState.FAILED: ("✗ not delivered", "bold $text-error"),
    DeliveryState.RETRYING: ("⟳ retrying", "$text-warning"),
}


def session_prompt(row: SessionRow, delivery: str | None = None, ending: bool = False) -> Content:
    """Two lines: ``S-12  customer`` and ``status · channel`` (customer text kept literal).

    The status comes first so that a narrow list (its lines end in "…") never hides it; a
    ``delivery`` problem (the session's worst: failed or retrying) comes right after it, and
    "ending" when its End Chat waits out its Undo time.
    """
    status = row.status
    if status == "Ended" and row.tab_open:
        status = "Ended · tab open"
    status_style = STATUS_STYLES.get(row.status, "$foreground-muted")
    mark = DELIVERY_MARKS.get(DeliveryState(delivery)) if delivery is not None else None
    problem: tuple[tuple[str, str], ...] = ()
    if mark is not None:
        problem = ((" · ", "$foreground-muted"), mark)
    if ending and row.status != "Ended":
        problem = (*problem, (" · ", "$foreground-muted"), ("ending", "bold $text-warning"))
    return Content.assemble(
        (row.label, "bold"),
        "  ",
        one_line(row.customer, CUSTOMER_WIDTH),
        "\n",
        (status, status_style),
        *problem,
        (" · ", "$foreground-muted"),
        (one_line(row.channel_name, 30), "$foreground-muted"),
    )


def _shown_key(row: SessionRow, delivery: str | None, ending: bool) -> tuple[object, ...]:
    return (row.id, row.status, row.customer, row.channel_name, row.tab_open, delivery, ending)


class SessionList(OptionList):
    """Set with :meth:`show_rows`; posts :class:`SessionPicked` when an entry is chosen."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[tuple[object, ...], ...] | None = None

    def show_rows(
        self,
        rows: Sequence[SessionRow],
        selected_id: int | None,
        deliveries: Mapping[int, str] | None = None,
        ending: Collection[int] = (),
    ) -> None:
        """``deliveries``: the worst delivery state ("failed", "retrying") of the sessions
        that have a line not delivered yet; ``ending``: the sessions whose End Chat waits out
        its Undo time."""
        worst = deliveries or {}
        key = tuple(_shown_key(row, worst.get(row.id), row.id in ending) for row in rows)
        if key != self._shown:
            self._shown = key
            self.clear_options()
            if rows:
                self.add_options(
                    [
                        Option(
                            session_prompt(row, worst.get(row.id), row.id in ending),
                            id=str(row.id),
                        )
                        for row in rows
                    ]
                )
            else:
                self.add_option(Option(Content(EMPTY), id=None, disabled=True))
        self.mark_selected(selected_id)

    def mark_selected(self, selected_id: int | None) -> None:
        if selected_id is None:
            return
        try:
            index = self.get_option_index(str(selected_id))
        except OptionDoesNotExist:
            return
        if self.highlighted != index:
            self.highlighted = index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(SessionPicked(int(event.option.id)))
