"""Quick replies (issue 11): admins add, edit and remove them; everyone reads them; names are
unique ignoring case; an unknown placeholder is refused with the reason; placeholders are
filled from the session and the agent, with a hostile customer name kept inert."""

from __future__ import annotations

import pytest
from svc_support import ALL, STANDARD, add, admin, assigned

from agent_console.domain.errors import NotFound, Refused
from agent_console.domain.quick_replies import TemplateError
from agent_console.services import quick_replies
from agent_console.services.changes import changes_since, current_cursor
from agent_console.services.context import Ctx

GREETING = "Hi {customer}, I'm {agent}."


async def test_admin_crud(ctx: Ctx) -> None:
    root = await admin(ctx)
    assert await quick_replies.list_quick_replies(ctx) == []
    cursor = await current_cursor(ctx)

    added = await quick_replies.add_quick_reply(ctx, "  Greeting ", GREETING, admin=root)
    assert (added.name, added.text, added.placeholders, added.updated_by) == (
        "Greeting",
        GREETING,
        ["customer", "agent"],
        root,
    )
    await quick_replies.add_quick_reply(ctx, "Bye", "Bye {{for now}}", admin=root)
    assert [r.name for r in await quick_replies.list_quick_replies(ctx)] == ["Bye", "Greeting"]
    _, changes = await changes_since(ctx, cursor)
    assert [c.kind for c in changes] == ["quick_reply", "quick_reply"]

    edited = await quick_replies.edit_quick_reply(
        ctx, "greeting", admin=root, new_name="Hello", text="Hello {customer} on {channel}"
    )
    assert (edited.id, edited.name, edited.placeholders) == (
        added.id,
        "Hello",
        ["customer", "channel"],
    )
    renamed_only = await quick_replies.edit_quick_reply(ctx, "Hello", admin=root, new_name="Hi")
    assert renamed_only.text == "Hello {customer} on {channel}"
    assert (await quick_replies.get_quick_reply(ctx, "hi")).name == "Hi"

    removed = await quick_replies.remove_quick_reply(ctx, "Hi", admin=root)
    assert removed.name == "Hi"
    assert [r.name for r in await quick_replies.list_quick_replies(ctx)] == ["Bye"]
    with pytest.raises(NotFound, match="unknown quick reply 'Hi'"):
        await quick_replies.get_quick_reply(ctx, "Hi")
    with pytest.raises(NotFound, match="unknown quick reply"):
        await quick_replies.remove_quick_reply(ctx, "Hi", admin=root)


async def test_only_admins_write_and_a_refusal_changes_nothing(ctx: Ctx) -> None:
    root = await admin(ctx)
    await add(ctx, "dana", ALL)
    await quick_replies.add_quick_reply(ctx, "Greeting", GREETING, admin=root)
    refused = "only admins can edit quick replies: dana is not an admin"
    with pytest.raises(Refused, match=refused):
        await quick_replies.add_quick_reply(ctx, "Mine", "x", admin="dana")
    with pytest.raises(Refused, match=refused):
        await quick_replies.edit_quick_reply(ctx, "Greeting", admin="dana", text="changed")
    with pytest.raises(Refused, match=refused):
        await quick_replies.remove_quick_reply(ctx, "Greeting", admin="dana")
    with pytest.raises(NotFound, match="unknown agent 'nobody'"):
        await quick_replies.add_quick_reply(ctx, "Mine", "x", admin="nobody")
    [kept] = await quick_replies.list_quick_replies(ctx)
    assert (kept.name, kept.text) == ("Greeting", GREETING)


async def test_a_name_is_taken_ignoring_case(ctx: Ctx) -> None:
    root = await admin(ctx)
    await quick_replies.add_quick_reply(ctx, "Greeting", GREETING, admin=root)
    await quick_replies.add_quick_reply(ctx, "Bye", "Bye", admin=root)
    for name in ("Greeting", "greeting", " GREETING "):
        with pytest.raises(Refused, match="a quick reply named 'Greeting' already exists"):
            await quick_replies.add_quick_reply(ctx, name, "other", admin=root)
    with pytest.raises(Refused, match="a quick reply named 'Greeting' already exists"):
        await quick_replies.edit_quick_reply(ctx, "Bye", admin=root, new_name="greeting")
    # Its own name in another case is a rename, not a clash.
    assert (
        await quick_replies.edit_quick_reply(ctx, "Bye", admin=root, new_name="BYE")
    ).name == "BYE"
    assert [r.name for r in await quick_replies.list_quick_replies(ctx)] == ["BYE", "Greeting"]


async def test_an_unknown_placeholder_is_refused_with_the_reason(ctx: Ctx) -> None:
    root = await admin(ctx)
    with pytest.raises(TemplateError, match=r"unknown placeholder \{name\} at character 4"):
        await quick_replies.add_quick_reply(ctx, "Bad", "Hi {name}", admin=root)
    await quick_replies.add_quick_reply(ctx, "Good", "Hi {customer}", admin=root)
    with pytest.raises(TemplateError, match=r"a lone \{ at character 4"):
        await quick_replies.edit_quick_reply(ctx, "Good", admin=root, text="Hi {customer")
    with pytest.raises(TemplateError, match="bad quick reply name"):
        await quick_replies.edit_quick_reply(ctx, "Good", admin=root, new_name="a\nb")
    [kept] = await quick_replies.list_quick_replies(ctx)
    assert (kept.name, kept.text) == ("Good", "Hi {customer}")


async def test_stored_exactly_and_filled_for_the_session(ctx: Ctx) -> None:
    root = await admin(ctx)
    await add(ctx, "dana", ALL)
    hostile = "[@click=app.quit]Eve[/] {agent} \x1b[31m"
    sid = await assigned(ctx, "dana", STANDARD, customer=hostile)
    text = "Hi {customer}, {agent} here on {channel}. 100% {{sure}} ✓\t ok"
    await quick_replies.add_quick_reply(ctx, "Greeting", text, admin=root)
    assert (await quick_replies.get_quick_reply(ctx, "Greeting")).text == text

    values = await quick_replies.placeholder_values(ctx, sid, "dana")
    assert values == {"customer": hostile, "agent": "dana", "channel": "Standard SMS"}
    filled = await quick_replies.fill_quick_reply(ctx, "greeting", sid, "dana")
    assert filled == (
        "Hi [@click=app.quit]Eve[/] {agent} ␛[31m, dana here on Standard SMS. 100% {sure} ✓\t ok"
    )
    with pytest.raises(NotFound, match="no session S-999"):
        await quick_replies.placeholder_values(ctx, 999, "dana")


async def test_the_demo_seed_adds_its_quick_replies_once(ctx: Ctx) -> None:
    from agent_console.demo.seed import seed
    from agent_console.demo.texts import QUICK_REPLIES
    from agent_console.domain.quick_replies import check_template

    await seed(ctx, agents=1, sessions=0)
    await seed(ctx, agents=1, sessions=0)
    found = await quick_replies.list_quick_replies(ctx)
    assert sorted((r.name, r.text) for r in found) == sorted(QUICK_REPLIES)
    for _, text in QUICK_REPLIES:
        assert check_template(text) == text
