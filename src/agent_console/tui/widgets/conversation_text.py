"""What the conversation pane says, as text: the header, the R7 countdown, the notes (not
connected, tab, Undo, draft), the end outlook and summaries. Pure functions of the session
detail the service answered; the pane (``conversation.py``) places them.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from textual.content import Content

from ...domain.capacity import consumes
from ...domain.ending import ended_by, fmt_moment, fmt_time
from ...domain.needs import countdown_text
from ...domain.outbox import DeliveryState
from ...domain.text import one_line
from ...domain.vocab import ActorKind, CapacityModel, Initiator, SessionStatus, Surface
from ...services.views import ActionId
from ...services.views import find_action as find_in
from .session_list import STATUS_STYLES
from .transcript import delivery_text

if TYPE_CHECKING:
    from ...services.views import ActionView, EndView, SessionDetail


def r7_countdown(detail: SessionDetail, now: datetime, *, compact: bool = False) -> str:
    """R7's countdown for an agent-initiated session the customer has not answered ("" for
    any other session); ``compact`` is the short form for a narrow transcript."""
    row = detail.session
    if (
        row.initiated_by != Initiator.AGENT.value
        or row.auto_end_at is None
        or row.status == SessionStatus.ENDED.value
    ):
        return ""
    return countdown_text(
        row.auto_end_at, now, standard=row.channel_kind == "standard", compact=compact
    )


def find_action(detail: SessionDetail, action: ActionId) -> ActionView | None:
    """The session's action ``action`` (None: not offered to this agent)."""
    return find_in(detail.actions, action)


def csat_score(detail: SessionDetail) -> int | None:
    """The customer's answer to the session's CSAT survey (R9), None when not answered."""
    for csat in detail.csat_requests:
        if csat.score is not None:
            return csat.score
    return None


#: In a narrow header, the cells the channel keeps before the customer's name is cut, and the
#: cells the name keeps before the channel is left out.
CHANNEL_MIN = 10
NAME_MIN = 8


def header_content(detail: SessionDetail, width: int | None = None) -> Content:
    """``S-12  Alice  ·  Enhanced WhatsApp  ·  Active  ·  tab-based, holds 1/1``.

    With ``width`` (the header's cells), what does not fit gives way in this order: the
    capacity part, then the channel (cut with "…", then left out), then the customer's name
    -- the session's label and its status always show.
    """
    row = detail.session
    score = csat_score(detail)
    sep = ("  ·  ", "$foreground-muted")
    label = Content.styled(row.label, "bold")
    customer = Content.styled(one_line(row.customer, 40), "bold $msg-customer")
    channel = Content(one_line(row.channel_name, 40))
    status = Content.assemble(
        (row.status, "bold " + STATUS_STYLES.get(row.status, "")),
        *((sep, (f"CSAT {score}/5", "bold")) if score is not None else ()),
    )
    held = Content.styled(
        f"{row.capacity_model}, holds {row.units_held}/{row.units}", "$foreground-muted"
    )
    full = Content.assemble(label, "  ", customer, sep, channel, sep, status, sep, held)
    if width is None or full.cell_length <= width:
        return full
    short = Content.assemble(label, "  ", customer, sep, channel, sep, status)
    if short.cell_length <= width:
        return short
    # The customer and the channel share what is left; the channel is cut first (to about
    # ten cells), then the name; a channel with no room left is left out.
    room = width - Content.assemble(label, "  ", sep, sep, status).cell_length
    names = min(customer.cell_length, max(room - min(channel.cell_length, CHANNEL_MIN), NAME_MIN))
    if room - names >= 4:
        return Content.assemble(
            label,
            "  ",
            customer.truncate(names, ellipsis=True),
            sep,
            channel.truncate(room - names, ellipsis=True),
            sep,
            status,
        )
    room += Content.assemble(sep).cell_length
    if room < 2:
        return Content.assemble(label, "  ", status)
    return Content.assemble(label, "  ", customer.truncate(room, ellipsis=True), sep, status)


def not_connected_note(detail: SessionDetail, *, compact: bool = False) -> Content:
    """The transcript's one note for a session whose channel is not connected (empty when it
    is); ``compact`` leaves out the channel's name (the header shows it)."""
    if detail.channel_connected:
        return Content("")
    if compact:
        return Content("Not connected: nothing reaches the customer")
    name = one_line(detail.session.channel_name, 40)
    return Content(f"{name} is not connected: nothing here reaches the customer")


def tab_note(detail: SessionDetail, close: ActionView | None, key: str) -> Content:
    """What an ended session's tab says: R2's "close the tab to free capacity" when it holds
    units under tab-based capacity."""
    row = detail.session
    press = f" Press {key} or the button to close it." if key else ""
    if close is None or not close.allowed:
        why = close.reason if close is not None else "the tab cannot be closed"
        return Content.assemble(("Session ended. ", "bold"), one_line(why, 200))
    if row.capacity_model == "tab-based" and row.units_held > 0:
        units = f"{row.units_held} unit{'s' if row.units_held != 1 else ''}"
        return Content.assemble(
            ("Session ended — close the tab to free capacity", "bold $capacity-full"),
            f" ({units} held).{press}",
        )
    return Content.assemble(("Session ended.", "bold"), f" Its capacity is free.{press}")


def units_text(units: int) -> str:
    return f"{units} unit{'s' if units != 1 else ''}"


def end_outlook(detail: SessionDetail, end_line: str, *, compact: bool = False) -> Content:
    """What ending now does: the line the customer sees, CSAT (R9) and capacity (R2).

    The CSAT answer is the service's (the session's "CSAT on end" action); whether the units
    stay held after the end is the domain's capacity rule. ``compact`` is the short form for a
    narrow pane (the full one is the label's tooltip).
    """
    row = detail.session
    csat = find_action(detail, ActionId.CSAT_ON_END)
    held = units_text(row.units_held)
    model = CapacityModel(row.capacity_model)
    stays = consumes(model, SessionStatus.ENDED, tab_open=True, owned=True)
    if compact:
        parts: list[str | tuple[str, str] | Content] = [("Ending: ", "bold")]
        if end_line:
            parts += [(f"“{end_line}”", "italic"), " · "]
        if csat is not None:
            parts.append("CSAT survey" if csat.allowed else "no CSAT survey")
        if row.units_held:
            parts.append(f" · {held} held until tab closed" if stays else f" · {held} freed")
        return Content.assemble(*parts)
    parts = [("If you end it now: ", "bold")]
    if end_line:
        parts += ["the customer sees ", (f"“{end_line}”", "italic")]
    if csat is not None and csat.reason:
        parts += ["; " if end_line else "", one_line(csat.reason, 120)]
    if row.units_held:
        one = row.units_held == 1
        if stays:
            verb = "stays" if one else "stay"
            parts.append(f"; its {held} {verb} held until you close the tab ({model.value})")
        else:
            verb = "is" if one else "are"
            parts.append(f"; its {held} {verb} freed at once ({model.value})")
    parts.append(".")
    return Content.assemble(*parts)


def end_summary(detail: SessionDetail, tz: tzinfo | None) -> Content:
    """Who ended an ended session, when, from where, and whether a CSAT survey went out."""
    end = detail.end
    if end is None:
        return Content("")
    who = ended_by(ActorKind(end.actor_kind), end.actor)
    surface = Surface(end.surface)
    where = (
        ""
        if surface in (Surface.LOGOUT, Surface.TIMER, Surface.MACRO, Surface.TRIGGER)
        else (f" from the {surface.label}")
    )
    local = end.at.astimezone(tz)
    today = detail.as_of.astimezone(tz).date() if detail.as_of is not None else local.date()
    on = "" if local.date() == today else f" on {local.day} {local:%b %Y}"
    return Content.assemble(
        "Ended by ",
        (one_line(who, 60), "bold"),
        f"{on} at {local:%H:%M}{where}; {csat_summary(detail, tz)}.",
    )


def csat_summary(detail: SessionDetail, tz: tzinfo | None) -> str:
    """Whether a CSAT survey was sent (and, on a connected channel, whether it got there),
    and the customer's answer."""
    if not detail.csat_requests:
        return "no CSAT survey was sent"
    csat = detail.csat_requests[0]
    if csat.score is not None:
        return f"a CSAT survey was sent and the customer rated it {csat.score}/5"
    if csat.delivery is None or csat.delivery.state == DeliveryState.SENT.value:
        return "a CSAT survey was sent"
    went = delivery_text(csat.delivery, tz, connected=detail.channel_connected)
    return f"a CSAT survey was requested ({went})"


def undo_note(label: str, seconds: int, key: str) -> Content:
    """The Undo bar's words: ``Ending S-1 in 5 s — ^z undoes it; ...``."""
    undo = Content.assemble(" — ", (key, "bold"), " undoes it") if key else Content("")
    return Content.assemble(
        ("Ending ", "bold"),
        (label, "bold"),
        (f" in {seconds} s", "bold"),
        undo,
        "; nothing is sent until then.",
    )


def draft_note(end: EndView | None, as_of: datetime | None, tz: tzinfo | None, key: str) -> Content:
    """What an ended session with a draft in the composer says: who ended it, when, and that
    the draft is kept (``key`` copies it)."""
    kept = (
        Content.assemble("your draft is kept: ", (key, "bold"), " copies it.")
        if key
        else (Content("your draft is kept in the composer."))
    )
    if end is None:
        return Content.assemble("This session has ended — ", kept)
    who = ended_by(ActorKind(end.actor_kind), end.actor)
    zone = tz if tz is not None else end.at.astimezone().tzinfo  # None: the machine's zone
    assert zone is not None
    today = (as_of or end.at).astimezone(zone).date()
    same_day = end.at.astimezone(zone).date() == today
    when = fmt_time(end.at, zone) if same_day else fmt_moment(end.at, zone)
    return Content.assemble(
        ("Ended by ", "bold"), (one_line(who, 60), "bold"), f" at {when} — ", kept
    )
