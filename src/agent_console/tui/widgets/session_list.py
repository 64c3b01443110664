"""The agent's open sessions, one entry per tab; choosing one opens it.

An entry whose session has a line that did not reach the customer's channel says so after
its status: "✗ not delivered" (a delivery gave up) or "⟳ retrying". Its third line says what
the session needs: unread customer messages ("2 new"), how long the customer has waited
since their last line ("waiting 4m"), the R7 countdown of a session the agent started
("ends in 3h 12m"), and the customer's last line (safe, one line, cut with "…"). One whose
End Chat waits out its Undo time says "ending".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from ...domain.needs import short_countdown, waiting_text
from ...domain.outbox import DeliveryState
from ...domain.text import one_line
from ...domain.vocab import Initiator, SessionStatus
from ..messages import SessionPicked

if TYPE_CHECKING:
    from ...services.views import SessionNeeds, SessionRow

CUSTOMER_WIDTH = 22
#: Characters of the customer's last line an entry keeps (the list's width cuts it further).
LAST_LINE_WIDTH = 60
SEPARATOR = (" · ", "$foreground-muted")
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


def needs_line(
    row: SessionRow, needs: SessionNeeds | None, now: datetime | None, *, reading: bool = False
) -> Content:
    """The entry's third line: ``2 new · waiting 4m · <last customer line>`` (each part only
    when it applies). ``reading``: the session is open on screen, so nothing in it is unread.
    The counts come first so that a narrow list cuts the customer's text, not them."""
    parts: list[tuple[str, str]] = []
    live = row.status != SessionStatus.ENDED.value
    if needs is not None and needs.unread and not reading:
        parts.append((f"{needs.unread} new", "bold $accent"))
    if (
        live
        and now is not None
        and needs is not None
        and needs.customer_waiting
        and needs.last_customer_at is not None
    ):
        parts.append((waiting_text(needs.last_customer_at, now), "$text-warning"))
    if (
        live
        and now is not None
        and row.initiated_by == Initiator.AGENT.value
        and row.auto_end_at is not None
    ):
        parts.append((short_countdown(row.auto_end_at, now), "$text-warning"))
    if needs is not None and needs.last_customer_text:
        parts.append((one_line(needs.last_customer_text, LAST_LINE_WIDTH), "italic"))
    pieces: list[tuple[str, str]] = []
    for part in parts:
        if pieces:
            pieces.append(SEPARATOR)
        pieces.append(part)
    return Content.assemble(*pieces)


def session_prompt(
    row: SessionRow,
    delivery: str | None = None,
    needs: SessionNeeds | None = None,
    now: datetime | None = None,
    *,
    reading: bool = False,
    ending: bool = False,
) -> Content:
    """Three lines: ``S-12  customer``, ``status · channel`` and what the session needs
    (:func:`needs_line`; customer text kept literal).

    The status comes first so that a narrow list (its lines end in "…") never hides it; a
    ``delivery`` problem (the session's worst: failed or retrying) comes right after it, and
    "ending" when its End Chat waits out its Undo time.
    """
    status: str = str(row.status)
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
        "\n",
        needs_line(row, needs, now, reading=reading),
    )


class SessionList(OptionList):
    """Set with :meth:`show_rows`; posts :class:`SessionPicked` when an entry is chosen."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[tuple[object, ...], ...] | None = None
        self._shown_ids: tuple[int, ...] = ()
        #: The open session the highlight was last put on (a refresh that changes nothing
        #: about it leaves the highlight where the agent moved it).
        self._marked: int | None = None

    def show_rows(
        self,
        rows: Sequence[SessionRow],
        selected_id: int | None,
        deliveries: Mapping[int, str] | None = None,
        *,
        needs: Mapping[int, SessionNeeds] | None = None,
        now: datetime | None = None,
        reading: int | None = None,
        ending: Collection[int] = (),
    ) -> None:
        """``deliveries``: the worst delivery state ("failed", "retrying") of the sessions
        that have a line not delivered yet; ``needs``: what each session asks of the agent,
        at ``now``; ``reading``: the session open on screen (nothing in it is unread); ``ending``:
        the sessions whose End Chat waits out its Undo time."""
        worst = deliveries or {}
        wanted = needs or {}
        prompts = [
            session_prompt(
                row,
                worst.get(row.id),
                wanted.get(row.id),
                now,
                reading=row.id == reading,
                ending=row.id in ending,
            )
            for row in rows
        ]
        key = tuple((row.id, prompt.markup) for row, prompt in zip(rows, prompts, strict=True))
        ids = tuple(row.id for row in rows)
        if key != self._shown:
            self._shown = key
            if rows and ids == self._shown_ids:
                # The same sessions with new text (a count, a waiting time): replaced in
                # place, so the highlight and the scroll stay where the agent left them.
                for row, prompt in zip(rows, prompts, strict=True):
                    self.replace_option_prompt(str(row.id), prompt)
            else:
                kept = self._highlighted_id()
                self.clear_options()
                if rows:
                    self.add_options(
                        [
                            Option(prompt, id=str(row.id))
                            for row, prompt in zip(rows, prompts, strict=True)
                        ]
                    )
                else:
                    self.add_option(Option(Content(EMPTY), id=None, disabled=True))
                if kept is not None and self.has_focus and kept in ids:
                    self.mark_selected(kept)
                    self._marked = selected_id
            self._shown_ids = ids
        if selected_id != self._marked or self.highlighted is None:
            # A refresh that does not change the open session never moves the highlight: the
            # agent may be walking the list with the arrows.
            self._marked = selected_id
            self.mark_selected(selected_id)

    def _highlighted_id(self) -> int | None:
        if self.highlighted is None:
            return None
        option_id = self.get_option_at_index(self.highlighted).id
        return int(option_id) if option_id is not None else None

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
