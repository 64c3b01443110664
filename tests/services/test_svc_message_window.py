"""What a session detail loads of its messages' text is bounded (issue 5 row 10): each message
is cut in SQL to a window and says its full length, the newest messages fill a budget, asking
for more is capped, and ``message_text`` gives the rest of a message a bounded slice at a time.
The stored text is never changed."""

from __future__ import annotations

import pytest
from svc_support import ALL, add

from agent_console.domain.errors import NotFound
from agent_console.services import conversations, listing
from agent_console.services.context import Ctx
from agent_console.services.views import (
    DETAIL_TEXT_CAP,
    DETAIL_TEXT_WINDOW,
    MESSAGE_TEXT_CAP,
    MESSAGE_TEXT_WINDOW,
)

#: Multi-byte characters (2, 3 and 4 bytes in UTF-8): SQL must count characters, not bytes.
LONG = ("é€😀 line of text\n" * 30_000)[:400_000]


async def _session(ctx: Ctx, *texts: str) -> int:
    await add(ctx, "dana", ALL)
    sid = (await conversations.inbound(ctx, "Meg", "standard_sms", texts[0])).session_id
    for text in texts[1:]:
        await conversations.inbound(ctx, "Meg", "standard_sms", text)
    return sid


async def test_a_long_message_is_cut_and_says_its_full_length(ctx: Ctx) -> None:
    sid = await _session(ctx, LONG, "short reply")
    detail = await listing.show_session(ctx, sid, as_agent="dana")
    long, short = detail.messages
    assert long.text == LONG[:MESSAGE_TEXT_WINDOW]
    assert long.length == long.full_length == len(LONG) and long.truncated
    assert short.text == "short reply" and short.full_length == len("short reply")
    assert not short.truncated


async def test_a_larger_window_is_loaded_when_asked_and_capped(ctx: Ctx) -> None:
    sid = await _session(ctx, LONG)
    wider = await listing.show_session(ctx, sid, text_limit=100_000, text_budget=10**6)
    assert wider.messages[0].text == LONG[:100_000]
    capped = await listing.show_session(ctx, sid, text_limit=10**9, text_budget=10**9)
    assert capped.messages[0].text == LONG[:MESSAGE_TEXT_CAP]
    assert capped.messages[0].full_length == len(LONG)


async def test_the_newest_messages_fill_the_budget(ctx: Ctx) -> None:
    count = DETAIL_TEXT_WINDOW // MESSAGE_TEXT_WINDOW + 5
    sid = await _session(ctx, *(f"#{i} " + LONG for i in range(count)))
    detail = await listing.show_session(ctx, sid, as_agent="dana")
    loaded = sum(len(m.text) for m in detail.messages)
    assert loaded <= DETAIL_TEXT_WINDOW + MESSAGE_TEXT_WINDOW
    assert detail.messages_total == count and len(detail.messages) < count
    assert detail.messages[-1].text.startswith(f"#{count - 1} ")  # the newest, oldest first
    ids = [m.id for m in detail.messages]
    assert ids == sorted(ids)
    assert DETAIL_TEXT_CAP >= DETAIL_TEXT_WINDOW and MESSAGE_TEXT_CAP >= MESSAGE_TEXT_WINDOW


async def test_message_text_gives_the_stored_text_exactly_a_slice_at_a_time(ctx: Ctx) -> None:
    sid = await _session(ctx, LONG)
    message = (await listing.show_session(ctx, sid)).messages[0]
    parts, start = [], 0
    while True:
        part = await listing.message_text(ctx, message.id, start=start, limit=10**9)
        assert len(part.text) <= MESSAGE_TEXT_CAP and part.length == len(LONG)
        parts.append(part.text)
        start += len(part.text)
        if not part.rest:
            break
    assert "".join(parts) == LONG
    middle = await listing.message_text(ctx, message.id, start=5, limit=7)
    assert middle.text == LONG[5:12] and middle.rest == len(LONG) - 12
    past = await listing.message_text(ctx, message.id, start=len(LONG) + 10)
    assert past.text == "" and past.rest == 0
    with pytest.raises(NotFound):
        await listing.message_text(ctx, 10**9)
    with pytest.raises(ValueError):
        await listing.message_text(ctx, message.id, start=-1)


async def test_an_empty_transcript_and_no_messages_wanted(ctx: Ctx) -> None:
    sid = await _session(ctx, "hello")
    assert (await listing.show_session(ctx, sid, message_limit=0)).messages == []
    menu = await listing.row_menu(ctx, sid, as_agent="dana")
    assert menu.session.id == sid
