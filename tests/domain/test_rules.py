"""The pure rules: every refusal has its reason (R1, R3, R4, R6, R7, R8, R9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_console.domain.capacity import consumes, held_units
from agent_console.domain.channels import CHANNELS, UnknownChannel, channel
from agent_console.domain.ending import (
    Actor,
    Agent,
    EndFacts,
    SessionFacts,
    csat_decision,
    end_line,
    may_end,
)
from agent_console.domain.policy import Policy, SettingError, normalize_setting, policy_from_rows
from agent_console.domain.timers import auto_end_window
from agent_console.domain.transitions import Event, TransitionRefused, next_status
from agent_console.domain.vocab import (
    ActorKind,
    CapacityModel,
    Permission,
    SessionStatus,
    Surface,
    parse_session_id,
)

P = Permission
ALL = frozenset(Permission)
AT = datetime(2026, 11, 23, 10, 42, tzinfo=UTC)
DANA = Agent(1, "dana", ALL)
ERIN = Agent(2, "erin", ALL)
ON = Policy()


def facts(
    ch: str = "standard_sms",
    status: SessionStatus = SessionStatus.ACTIVE,
    owner: Agent | None = DANA,
    model: CapacityModel = CapacityModel.TAB_BASED,
    ended: EndFacts | None = None,
) -> SessionFacts:
    return SessionFacts(
        7,
        status,
        channel(ch),
        owner.id if owner else None,
        owner.name if owner else None,
        model,
        ended,
    )


def test_catalogue_has_every_spec_channel() -> None:
    assert len(CHANNELS) == 11
    assert channel("enhanced_web_chat_v2").family.value == "enhanced chat"
    assert channel("byoc").kind.value == "enhanced"
    assert channel("standard_sms").is_standard
    with pytest.raises(UnknownChannel, match="unknown channel 'fax'"):
        channel("fax")


def test_r1_enhanced_chat_needs_licence_rep_and_owner() -> None:
    s = facts("enhanced_in_app_chat")
    assert may_end(Actor.of_agent(DANA), s, Surface.CONVERSATION, ON).allowed
    no_rep = Agent(1, "dana", ALL - {P.ENHANCED_CHAT_REP})
    d = may_end(Actor.of_agent(no_rep), s, Surface.CONVERSATION, ON)
    assert (d.allowed, d.reason) == (False, "missing permission enhanced_chat_rep")
    no_user = Agent(1, "dana", ALL - {P.ENHANCED_CHAT_USER})
    assert may_end(Actor.of_agent(no_user), s, Surface.CONVERSATION, ON).reason == (
        "missing permission enhanced_chat_user"
    )
    d = may_end(Actor.of_agent(ERIN), s, Surface.CONVERSATION, ON)
    assert d.reason == "not the owner: S-7 is owned by dana"


@pytest.mark.parametrize("ch", ["standard_sms", "enhanced_whatsapp", "byoc"])
def test_r1_messaging_needs_messaging_agent_and_owner(ch: str) -> None:
    only_msg = Agent(1, "dana", frozenset({P.MESSAGING_AGENT}))
    assert may_end(Actor.of_agent(only_msg), facts(ch), Surface.CONVERSATION, ON).allowed
    none = Agent(1, "dana", frozenset())
    assert may_end(Actor.of_agent(none), facts(ch), Surface.CONVERSATION, ON).reason == (
        "missing permission messaging_agent"
    )


def test_r1_end_chat_needs_a_live_owned_session() -> None:
    d = may_end(
        Actor.of_agent(DANA),
        facts(status=SessionStatus.WAITING, owner=None),
        Surface.CONVERSATION,
        ON,
    )
    assert not d.allowed and "Waiting" in d.reason


def test_r3_row_end_is_for_standard_channels_only() -> None:
    d = may_end(Actor.of_agent(ERIN), facts("enhanced_sms"), Surface.ROW, ON)
    assert d.reason == "row End Session is for standard channels only"
    assert may_end(Actor.of_agent(ERIN), facts("standard_sms"), Surface.ROW, ON).allowed
    # The bulk End Sessions button takes any channel.
    assert may_end(Actor.of_agent(ERIN), facts("enhanced_sms"), Surface.LIST, ON).allowed


def test_r3_list_needs_end_messaging_session_not_ownership() -> None:
    no_list = Agent(2, "erin", ALL - {P.END_MESSAGING_SESSION})
    d = may_end(Actor.of_agent(no_list), facts(), Surface.LIST, ON)
    assert d.reason == "missing permission end_messaging_session"


def test_r4_inactive_status_based_has_no_list_end() -> None:
    s = facts(status=SessionStatus.INACTIVE, model=CapacityModel.STATUS_BASED)
    for surface in (Surface.ROW, Surface.LIST):
        d = may_end(Actor.of_agent(DANA), s, surface, ON)
        assert (
            d.reason
            == "Inactive sessions cannot be ended from the list under status-based capacity"
        )
    assert may_end(Actor.of_agent(DANA), s, Surface.CONVERSATION, ON).allowed


def test_r8_off_refuses_agents_but_not_automatic_ends() -> None:
    off = Policy(agents_can_end=False)
    for surface in (Surface.CONVERSATION, Surface.ROW, Surface.LIST):
        d = may_end(Actor.of_agent(DANA), facts(), surface, off)
        assert d.reason == "agents may not end sessions: setting is off"
    assert may_end(Actor(ActorKind.TIMER, "timer"), facts(), Surface.TIMER, off).allowed
    assert may_end(Actor(ActorKind.TRIGGER, "t"), facts(), Surface.TRIGGER, off).allowed
    assert may_end(Actor(ActorKind.MACRO, "m"), facts(), Surface.MACRO, off).allowed
    assert not may_end(Actor(ActorKind.MACRO, "m", DANA), facts(), Surface.MACRO, off).allowed


def test_r8_legacy_default_is_off_unless_set() -> None:
    assert policy_from_rows({}).agents_can_end
    assert not policy_from_rows({"messaging_legacy": "on"}).agents_can_end
    assert policy_from_rows({"messaging_legacy": "on", "agents_can_end": "on"}).agents_can_end


def test_r6_logout_ends_only_own_sessions() -> None:
    actor = Actor(ActorKind.LOGOUT, "erin", ERIN)
    assert not may_end(actor, facts(), Surface.LOGOUT, ON).allowed
    assert may_end(Actor(ActorKind.LOGOUT, "dana", DANA), facts(), Surface.LOGOUT, ON).allowed


def test_already_ended_names_who_when_where() -> None:
    ended = EndFacts(ActorKind.AGENT, "dana", Surface.LIST, AT)
    d = may_end(
        Actor.of_agent(DANA), facts(status=SessionStatus.ENDED, ended=ended), Surface.LIST, ON
    )
    assert d.reason == "already ended by dana on 23 Nov 2026 at 10:42 UTC from the list"


def test_r9_csat_only_for_agent_ends_with_setting_on() -> None:
    on = Policy(csat_on_agent_end=True)
    assert csat_decision(Actor.of_agent(DANA), on).allowed
    assert not csat_decision(Actor.of_agent(DANA), ON).allowed
    assert not csat_decision(Actor(ActorKind.TIMER, "timer"), on).allowed


def test_r12_end_line() -> None:
    assert end_line(Actor.of_agent(DANA), AT) == "Session ended by dana at 10:42 UTC"
    line = end_line(Actor(ActorKind.MACRO, "Escalate to Tier 2", DANA), AT)
    assert line == "Session ended by macro Escalate to Tier 2, run by dana at 10:42 UTC"


def test_r7_windows() -> None:
    assert auto_end_window(channel("standard_sms"), AT) == (AT + timedelta(hours=24),) * 2
    assert auto_end_window(channel("enhanced_sms"), AT) == (
        AT + timedelta(hours=48),
        AT + timedelta(hours=54),
    )


def test_r2_capacity_models() -> None:
    tab, status = CapacityModel.TAB_BASED, CapacityModel.STATUS_BASED
    assert consumes(tab, SessionStatus.ENDED, tab_open=True, owned=True)
    assert not consumes(tab, SessionStatus.ENDED, tab_open=False, owned=True)
    assert not consumes(status, SessionStatus.ENDED, tab_open=True, owned=True)
    assert not consumes(status, SessionStatus.INACTIVE, tab_open=True, owned=True)
    assert held_units(status, SessionStatus.ACTIVE, True, True, 3) == 3


def test_transitions() -> None:
    assert next_status(SessionStatus.WAITING, Event.ASSIGN) is SessionStatus.ACTIVE
    with pytest.raises(TransitionRefused, match="only under status-based"):
        next_status(SessionStatus.ACTIVE, Event.GO_INACTIVE, CapacityModel.TAB_BASED)
    with pytest.raises(TransitionRefused, match="never changes again"):
        next_status(SessionStatus.ENDED, Event.CUSTOMER_WRITES)


@given(
    status=st.sampled_from(list(SessionStatus)),
    surface=st.sampled_from(list(Surface)),
    perms=st.sets(st.sampled_from(list(Permission))),
    owner=st.booleans(),
    can_end=st.booleans(),
    model=st.sampled_from(list(CapacityModel)),
    ch=st.sampled_from([c.id for c in CHANNELS]),
)
def test_every_refusal_has_a_reason(status, surface, perms, owner, can_end, model, ch) -> None:
    agent = Agent(1, "dana", frozenset(perms))
    s = facts(ch, status, agent if owner else ERIN, model)
    kind = {
        Surface.LOGOUT: ActorKind.LOGOUT,
        Surface.TIMER: ActorKind.TIMER,
        Surface.TRIGGER: ActorKind.TRIGGER,
        Surface.MACRO: ActorKind.MACRO,
    }.get(surface, ActorKind.AGENT)
    d = may_end(Actor(kind, "dana", agent), s, surface, Policy(agents_can_end=can_end))
    assert d.allowed or d.reason
    if status is SessionStatus.ENDED:
        assert not d.allowed


def test_settings_validation() -> None:
    assert normalize_setting("agents_can_end", "OFF") == "off"
    assert normalize_setting("channel.standard_sms.units", "2") == "2"
    with pytest.raises(SettingError, match="unknown setting"):
        normalize_setting("nope", "1")
    with pytest.raises(SettingError, match="between 1 and 100"):
        normalize_setting("channel.standard_sms.units", "0")
    with pytest.raises(SettingError, match="unknown channel"):
        normalize_setting("channel.fax.units", "1")


def test_parse_session_id() -> None:
    assert parse_session_id("S-1042") == parse_session_id("1042") == 1042
    with pytest.raises(ValueError, match="not a session id"):
        parse_session_id("S-x")
