"""The outbox and the channel services, below HTTP, with a fake clock (SQLite and PostgreSQL).

Events are written with what they report and only for connected channels; workers claim each
session's events in order and never the same event at once; a failure is retried with backoff
and given up after a day; a killed worker's lease runs out; the customer's CSAT answer is kept
once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from svc_support import ALL, add, admin, setting

from agent_console.domain.errors import NotFound, Refused
from agent_console.domain.outbox import GIVE_UP_AFTER, after_failure, retry_delay
from agent_console.services import (
    bulk,
    channels,
    conversations,
    ending,
    listing,
    outbox,
    routing,
)
from agent_console.services.context import Ctx
from agent_console.services.outbox import Attempt

SMS = "standard_sms"
WA = "enhanced_whatsapp"
LEASE = timedelta(seconds=30)
HOOK = "http://127.0.0.1:9/hook"


async def _ready(ctx: Ctx, *channel_ids: str) -> None:
    await admin(ctx)
    await add(ctx, "erin", ALL, capacity_=50)
    for ch in channel_ids:
        await channels.connect(ctx, ch, HOOK, admin="root")


async def _owned(ctx: Ctx, channel_id: str, ref: str) -> int:
    r = await channels.receive(ctx, channel_id, f"in-{ref}", ref, f"Customer {ref}", "hello")
    await routing.route(ctx)
    return r.session_id


async def test_events_are_written_only_for_connected_channels(ctx: Ctx) -> None:
    await _ready(ctx, SMS)
    sms = await _owned(ctx, SMS, "+1")
    wa = (await conversations.inbound(ctx, "Wanda", WA, "hi")).session_id
    await routing.route(ctx)
    m1 = await conversations.send(ctx, "erin", sms, "to sms")
    m2 = await conversations.send(ctx, "erin", wa, "to whatsapp")
    sms_detail = await listing.show_session(ctx, sms)
    wa_detail = await listing.show_session(ctx, wa)
    assert sms_detail.channel_connected and not wa_detail.channel_connected
    sent = {m.id: m.delivery for m in sms_detail.messages + wa_detail.messages}
    assert sent[m1] is not None and sent[m1].state == "pending" and sent[m1].attempts == 0
    assert sent[m2] is None
    batch = await outbox.claim(ctx, "w", lease=LEASE)
    assert [(d.type, d.text, d.customer_id) for d in batch] == [("message.created", "to sms", "+1")]


async def test_a_failed_send_writes_no_event(ctx: Ctx) -> None:
    """The event is in the reply's transaction: a refused reply leaves no event behind."""
    await _ready(ctx, SMS)
    sid = await _owned(ctx, SMS, "+1")
    await ending.end_session(ctx, "erin", sid)
    before = await outbox.claim(ctx, "w", lease=LEASE)
    with pytest.raises(Refused):
        await conversations.send(ctx, "erin", sid, "too late")
    assert [d.type for d in before] == ["session.ended"]
    assert await outbox.claim(ctx, "w2", lease=LEASE) == []


async def test_each_session_goes_out_in_order_and_never_in_two_hands(ctx: Ctx) -> None:
    await _ready(ctx, SMS)
    a = await _owned(ctx, SMS, "+1")
    b = await _owned(ctx, SMS, "+2")
    for i in range(3):
        await conversations.send(ctx, "erin", a, f"a{i}")
        await conversations.send(ctx, "erin", b, f"b{i}")
    first = await outbox.claim(ctx, "w1", lease=LEASE, limit=4)
    # The four oldest events: a0, b0, a1, b1 -- each a run from its session's start.
    assert [d.text for d in first] == ["a0", "b0", "a1", "b1"]
    second = await outbox.claim(ctx, "w2", lease=LEASE)
    assert second == []  # a2 and b2 wait behind their sessions' leased heads

    # a1 fails: a2 waits for it; b's run is delivered, so b2 is next.
    by_text = {d.text: d.outbox_id for d in first}
    await outbox.complete(
        ctx,
        "w1",
        [Attempt(by_text["a0"], True, 200), Attempt(by_text["a1"], False, 503),
         Attempt(by_text["b0"], True, 200), Attempt(by_text["b1"], True, 200)],
    )  # fmt: skip
    third = await outbox.claim(ctx, "w2", lease=LEASE)
    assert [d.text for d in third] == ["b2"]


async def test_a_failure_is_retried_with_backoff_then_given_up_after_a_day(
    ctx: Ctx, clock: object
) -> None:
    await _ready(ctx, SMS)
    sid = await _owned(ctx, SMS, "+1")
    mid = await conversations.send(ctx, "erin", sid, "hello?")
    [d] = await outbox.claim(ctx, "w", lease=LEASE)
    await outbox.complete(ctx, "w", [Attempt(d.outbox_id, False, None, "connection refused")])
    view = await _delivery(ctx, sid, mid)
    assert view.state == "retrying" and view.attempts == 1 and view.error == "connection refused"
    assert timedelta(seconds=0.5) <= view.next_attempt_at - clock.now <= timedelta(seconds=1)
    assert await outbox.claim(ctx, "w", lease=LEASE) == []  # not due yet
    clock.advance(seconds=1)
    [again] = await outbox.claim(ctx, "w", lease=LEASE)
    assert again.outbox_id == d.outbox_id and again.attempts == 1
    await outbox.complete(ctx, "w", [Attempt(d.outbox_id, False, 500)])
    view = await _delivery(ctx, sid, mid)
    assert view.error == "HTTP 500" and view.attempts == 2
    assert timedelta(seconds=1) <= view.next_attempt_at - clock.now <= timedelta(seconds=2)

    clock.advance(hours=24)
    [late] = await outbox.claim(ctx, "w", lease=LEASE)
    await outbox.complete(ctx, "w", [Attempt(late.outbox_id, False, 500)])
    view = await _delivery(ctx, sid, mid)
    assert view.state == "failed" and view.error == "HTTP 500" and view.next_attempt_at is None
    assert await outbox.claim(ctx, "w", lease=LEASE) == []
    [listed] = [c for c in await channels.list_channels(ctx) if c.channel == SMS]
    assert (listed.pending, listed.retrying, listed.failed) == (0, 0, 1)


async def _delivery(ctx: Ctx, sid: int, mid: int):  # type: ignore[no-untyped-def]
    detail = await listing.show_session(ctx, sid)
    found = next(m for m in detail.messages if m.id == mid).delivery
    assert found is not None
    return found


def test_backoff_grows_from_about_a_second_to_a_cap() -> None:
    assert retry_delay(1, lambda: 0.0) == timedelta(seconds=0.5)
    assert retry_delay(1, lambda: 1.0) == timedelta(seconds=1)
    assert retry_delay(4, lambda: 1.0) == timedelta(seconds=8)
    assert retry_delay(40, lambda: 1.0) == timedelta(minutes=15)
    assert retry_delay(40, lambda: 0.0) == timedelta(minutes=7.5)
    with pytest.raises(ValueError):
        retry_delay(0)
    start = __import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC)
    assert not after_failure(start, 3, start + timedelta(hours=23)).give_up
    assert after_failure(start, 90, start + GIVE_UP_AFTER).give_up


async def test_a_dead_workers_lease_runs_out_and_its_late_record_is_ignored(
    ctx: Ctx, clock: object
) -> None:
    await _ready(ctx, SMS)
    sid = await _owned(ctx, SMS, "+1")
    mid = await conversations.send(ctx, "erin", sid, "hello")
    [d] = await outbox.claim(ctx, "dead", lease=LEASE)
    assert await outbox.claim(ctx, "alive", lease=LEASE) == []
    clock.advance(seconds=31)
    [again] = await outbox.claim(ctx, "alive", lease=LEASE)
    assert again.outbox_id == d.outbox_id
    # The first worker was only slow: its late record does not overwrite the new owner's.
    await outbox.complete(ctx, "dead", [Attempt(d.outbox_id, False, 500)])
    assert (await _delivery(ctx, sid, mid)).attempts == 0
    await outbox.complete(ctx, "alive", [Attempt(d.outbox_id, True, 204)])
    assert (await _delivery(ctx, sid, mid)).state == "sent"


async def test_ends_and_csat_requests_become_events_even_in_bulk(ctx: Ctx) -> None:
    await _ready(ctx, SMS)
    await setting(ctx, "csat_on_agent_end", "on")
    sids = [await _owned(ctx, SMS, f"+{i}") for i in range(5)]
    wa = (await conversations.inbound(ctx, "Wanda", WA, "hi")).session_id
    await routing.route(ctx)
    report = await bulk.bulk_end(ctx, "erin", ids=[*sids, wa])
    assert report.ended == 6
    batch = await outbox.claim(ctx, "w", lease=LEASE, limit=100)
    per_session: dict[int, list[str]] = {}
    for d in batch:  # in outbox order
        per_session.setdefault(d.session_id, []).append(d.type)
    assert per_session == {sid: ["session.ended", "csat.requested"] for sid in sids}
    ended = [d for d in batch if d.type == "session.ended"]
    assert all(d.text.startswith("Session ended by erin at ") for d in ended)
    for d in ended:
        detail = await listing.show_session(ctx, d.session_id)
        assert detail.messages[-1].delivery is not None
        assert detail.messages[-1].text == d.text


async def test_a_disconnected_channel_keeps_its_events_until_connected_again(ctx: Ctx) -> None:
    await _ready(ctx, SMS)
    sid = await _owned(ctx, SMS, "+1")
    await conversations.send(ctx, "erin", sid, "held")
    await channels.disconnect(ctx, SMS, admin="root")
    assert await outbox.claim(ctx, "w", lease=LEASE) == []
    with pytest.raises(NotFound):
        await channels.disconnect(ctx, SMS, admin="root")
    await channels.connect(ctx, SMS, "http://127.0.0.1:9/new", admin="root")
    [d] = await outbox.claim(ctx, "w", lease=LEASE)
    assert d.text == "held" and d.webhook_url == "http://127.0.0.1:9/new"


async def test_a_day_old_event_of_a_disconnected_channel_is_marked_failed(
    ctx: Ctx, clock: object
) -> None:
    await _ready(ctx, SMS)
    sid = await _owned(ctx, SMS, "+1")
    mid = await conversations.send(ctx, "erin", sid, "never sent")
    await channels.disconnect(ctx, SMS, admin="root")
    clock.advance(hours=23)
    assert await outbox.give_up_stale(ctx) == 0  # it may still be connected again today
    clock.advance(hours=2)
    assert await outbox.give_up_stale(ctx) == 1
    view = await _delivery(ctx, sid, mid)
    assert view.state == "failed" and view.error == "the channel was disconnected"


async def test_only_admins_connect_and_secrets_are_checked(ctx: Ctx) -> None:
    await _ready(ctx)
    with pytest.raises(Refused, match="only admins can connect channels"):
        await channels.connect(ctx, SMS, HOOK, admin="erin")
    with pytest.raises(ValueError, match="whsec_"):
        await channels.connect(ctx, SMS, HOOK, admin="root", secret="hunter2")
    with pytest.raises(ValueError, match="24 to 64 bytes"):
        await channels.connect(ctx, SMS, HOOK, admin="root", secret="whsec_QUFB")
    with pytest.raises(ValueError, match="webhook URL"):
        await channels.connect(ctx, SMS, "ftp://example/x", admin="root")
    made = await channels.connect(ctx, SMS, HOOK, admin="root")
    assert made.secret is not None and made.secret.startswith("whsec_")
    given = await channels.connect(ctx, SMS, HOOK, admin="root", secret=made.secret)
    assert given.secret is None  # a given secret is never echoed
    assert (await channels.connection(ctx, SMS)).secret == made.secret


async def test_customers_are_known_by_their_channel_id_and_named_apart(ctx: Ctx) -> None:
    await _ready(ctx, SMS, WA)
    a = await channels.receive(ctx, SMS, "m1", "+1", "Alex", "hi")
    b = await channels.receive(ctx, SMS, "m2", "+2", "Alex", "hi too")
    again = await channels.receive(ctx, SMS, "m3", "+1", "Alexander", "me again")
    other = await channels.receive(ctx, WA, "m1", "+1", "Alex", "on whatsapp")
    assert again.session_id == a.session_id and not again.new_session
    assert len({a.session_id, b.session_id, other.session_id}) == 3
    names = [(await listing.show_session(ctx, s)).session.customer
             for s in (a.session_id, b.session_id, other.session_id)]  # fmt: skip
    assert names == ["Alex", "Alex (2)", "Alex (3)"]


async def test_many_new_customers_with_one_name_at_once_get_distinct_names(ctx: Ctx) -> None:
    await _ready(ctx, SMS)
    results = await asyncio.gather(
        *(channels.receive(ctx, SMS, f"m{i}", f"+{i}", "Sam", "hi") for i in range(8))
    )
    names = {(await listing.show_session(ctx, r.session_id)).session.customer for r in results}
    assert len(names) == 8 and "Sam" in names


async def test_the_customers_csat_answer_is_kept_once(ctx: Ctx) -> None:
    await _ready(ctx, SMS)
    await setting(ctx, "csat_on_agent_end", "on")
    sid = await _owned(ctx, SMS, "+1")
    with pytest.raises(NotFound):  # no survey was sent yet
        await channels.answer_csat(ctx, SMS, "+1", sid, 4)
    await ending.end_session(ctx, "erin", sid)
    with pytest.raises(NotFound):  # not this customer's session
        await channels.answer_csat(ctx, SMS, "+2", sid, 4)
    with pytest.raises(ValueError, match="1 to 5"):
        await channels.answer_csat(ctx, SMS, "+1", sid, 6)
    first = await channels.answer_csat(ctx, SMS, "+1", sid, 4)
    again = await channels.answer_csat(ctx, SMS, "+1", sid, 4)
    assert not first.replayed and again.replayed and again.score == 4
    with pytest.raises(Refused, match="already answered"):
        await channels.answer_csat(ctx, SMS, "+1", sid, 2)
    detail = await listing.show_session(ctx, sid)
    assert detail.csat_requests[0].score == 4
    assert detail.messages[-1].text == "The customer rated this conversation 4/5"
    assert not detail.messages[-1].visible_to_customer
