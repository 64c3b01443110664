"""Transfer's pure rules (issue 11): who may move a session, who may receive it, the words."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from agent_console.domain.channels import CHANNELS, channel
from agent_console.domain.ending import Agent, EndFacts, SessionFacts
from agent_console.domain.transfer import (
    Candidate,
    may_transfer,
    receiver_refusal,
    refusal_line,
    transfer_line,
    units_taken,
)
from agent_console.domain.transitions import Event, next_status
from agent_console.domain.vocab import (
    ActorKind,
    CapacityModel,
    Permission,
    Presence,
    SessionStatus,
    Surface,
)

ALL = frozenset(Permission)
DANA = Agent(1, "dana", ALL)
ERIN = Agent(2, "erin", ALL)
ROOT = Agent(3, "root", ALL, is_admin=True)
AT = datetime(2026, 11, 23, 10, 42, tzinfo=UTC)


def facts(
    status: SessionStatus = SessionStatus.ACTIVE,
    owner: Agent | None = DANA,
    ch: str = "enhanced_whatsapp",
    model: CapacityModel = CapacityModel.TAB_BASED,
    ended: EndFacts | None = None,
) -> SessionFacts:
    return SessionFacts(
        7, status, channel(ch), owner.id if owner else None, owner.name if owner else None,
        model, ended,
    )  # fmt: skip


def erin(
    presence: Presence = Presence.ONLINE, used: int = 0, capacity: int = 5, logged_in: bool = True
) -> Candidate:
    return Candidate(ERIN, presence, logged_in, capacity, used)


def test_the_owner_or_an_admin_may_transfer_an_active_session() -> None:
    assert may_transfer(DANA, facts()).allowed
    assert may_transfer(ROOT, facts()).allowed
    no = may_transfer(ERIN, facts())
    assert not no.allowed and no.reason == "not the owner: S-7 is owned by dana"


def test_only_an_active_session_is_transferred() -> None:
    for status in (SessionStatus.NEW, SessionStatus.WAITING, SessionStatus.INACTIVE):
        no = may_transfer(DANA, facts(status, owner=DANA))
        assert no.reason == f"S-7 is {status.value}: only an Active session can be transferred"
    ended = EndFacts(ActorKind.AGENT, "dana", Surface.CONVERSATION, AT)
    no = may_transfer(ROOT, facts(SessionStatus.ENDED, ended=ended))
    assert no.reason == (
        "S-7 has already ended by dana on 23 Nov 2026 at 10:42 UTC from the conversation"
    )


def test_a_session_that_changed_hands_meanwhile_is_refused() -> None:
    assert may_transfer(ROOT, facts(), expected_owner="dana").allowed
    no = may_transfer(ROOT, facts(owner=ERIN), expected_owner="dana")
    assert no.reason == "S-7 changed hands meanwhile: it is now owned by erin"
    queued = may_transfer(DANA, facts(SessionStatus.WAITING, owner=None), expected_owner="dana")
    assert queued.reason == "S-7 changed hands meanwhile: it is now in the queue"


def test_receivers_reasons() -> None:
    s = facts()
    assert receiver_refusal(erin(), s, 1) is None
    assert receiver_refusal(erin(Presence.BUSY), s, 1) == "Busy"
    assert receiver_refusal(erin(Presence.OFFLINE), s, 1) == "Offline"
    assert receiver_refusal(erin(logged_in=False), s, 1) == "logged out"
    assert receiver_refusal(erin(used=5), s, 1) == "no free capacity (5/5)"
    assert receiver_refusal(erin(used=4), s, 2) == "not enough free capacity (4/5, needs 2)"
    assert receiver_refusal(Candidate(DANA, Presence.ONLINE, True, 5, 0), s, 1) == (
        "already the owner"
    )
    chat = facts(ch="enhanced_web_chat_v2")
    only_msg = Candidate(
        Agent(2, "erin", frozenset({Permission.MESSAGING_AGENT})), Presence.ONLINE, True, 5, 0
    )
    assert receiver_refusal(only_msg, chat, 1) == "missing permission enhanced_chat_user"
    assert refusal_line("sam", "no free capacity (5/5)") == "sam: no free capacity (5/5)"


def test_the_lines_agents_read() -> None:
    assert transfer_line("dana", "erin", "dana") == "Transferred from dana to erin"
    assert transfer_line("dana", "erin", "root") == "Transferred from dana to erin by root"
    assert transfer_line("dana", None, "dana") == "dana sent this session back to the queue"
    assert transfer_line("dana", None, "root") == (
        "root sent this session back to the queue (it was dana's)"
    )


def test_transitions_of_a_transfer() -> None:
    assert next_status(SessionStatus.ACTIVE, Event.TRANSFER) is SessionStatus.ACTIVE
    assert next_status(SessionStatus.ACTIVE, Event.REQUEUE) is SessionStatus.WAITING


@given(model=st.sampled_from(list(CapacityModel)), units=st.integers(1, 10))
def test_the_receiver_takes_every_unit_under_either_model(model: CapacityModel, units: int) -> None:
    """An Active session holds its units under both models: they move whole."""
    assert units_taken(facts(model=model), units) == units


@given(
    status=st.sampled_from(list(SessionStatus)),
    owner=st.sampled_from([DANA, ERIN, None]),
    actor=st.sampled_from([DANA, ERIN, ROOT]),
    presence=st.sampled_from(list(Presence)),
    logged_in=st.booleans(),
    used=st.integers(0, 6),
    units=st.integers(1, 3),
    perms=st.sets(st.sampled_from(list(Permission))),
    ch=st.sampled_from([c.id for c in CHANNELS]),
)
def test_every_refusal_has_a_reason(
    status: SessionStatus,
    owner: Agent | None,
    actor: Agent,
    presence: Presence,
    logged_in: bool,
    used: int,
    units: int,
    perms: set[Permission],
    ch: str,
) -> None:
    s = facts(status, owner if status in (SessionStatus.ACTIVE, SessionStatus.INACTIVE) else None,
              ch)  # fmt: skip
    d = may_transfer(actor, s)
    assert d.allowed or d.reason
    if status is not SessionStatus.ACTIVE:
        assert not d.allowed
    receiver = Candidate(Agent(9, "sam", frozenset(perms)), presence, logged_in, 5, used)
    why = receiver_refusal(receiver, s, units)
    if why is None:  # offered: Online, logged in, permitted, and the units fit
        assert presence is Presence.ONLINE and logged_in and used + units <= 5
    else:
        assert why
