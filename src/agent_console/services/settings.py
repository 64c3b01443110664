"""Admin settings: R8, R9, the capacity model (deployment default and per channel), units."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.channels import CHANNELS
from ..domain.policy import (
    AGENTS_CAN_END,
    AWAY_REASONS,
    CAPACITY_MODEL,
    CSAT_ON_AGENT_END,
    DEFAULT_PRIORITY,
    DEFAULT_TIMEZONE,
    TIMEZONE,
    Policy,
    SettingError,
    normalize_setting,
    policy_from_rows,
    setting_default,
)
from ..domain.text import plural
from ..domain.vocab import LIVE_STATUSES
from ..store import queries as q
from ..store.audit import record_audit
from ..store.models import Session, Setting
from .agents import require_admin
from .context import Ctx
from .views import SettingView

DESCRIPTIONS = {
    AGENTS_CAN_END: "Agents can end messaging sessions at any time (R8)",
    CSAT_ON_AGENT_END: "Send a CSAT survey when an agent ends a session (R9)",
    CAPACITY_MODEL: "Deployment default capacity model",
    TIMEZONE: "Time zone of the times customers are told (the end line)",
    AWAY_REASONS: "Away reasons an agent on Busy chooses from (comma-separated)",
}


async def get_policy(ctx: Ctx) -> Policy:
    async with ctx.db.read() as conn:
        return await q.load_policy(conn)


async def list_settings(ctx: Ctx) -> list[SettingView]:
    async with ctx.db.read() as conn:
        rows = {k: v for k, v in (await conn.execute(select(Setting.key, Setting.value))).all()}
    policy = policy_from_rows(rows)
    default_can_end = "off" if policy.messaging_legacy else "on"
    out = [
        SettingView(
            AGENTS_CAN_END,
            "on" if policy.agents_can_end else "off",
            default_can_end,
            AGENTS_CAN_END in rows,
            DESCRIPTIONS[AGENTS_CAN_END]
            + (" -- off by default: messaging predates it" if policy.messaging_legacy else ""),
        ),
        SettingView(
            CSAT_ON_AGENT_END,
            "on" if policy.csat_on_agent_end else "off",
            "off",
            CSAT_ON_AGENT_END in rows,
            DESCRIPTIONS[CSAT_ON_AGENT_END],
        ),
        SettingView(
            CAPACITY_MODEL,
            policy.capacity_model.value,
            "tab-based",
            CAPACITY_MODEL in rows,
            DESCRIPTIONS[CAPACITY_MODEL],
        ),
        SettingView(
            TIMEZONE, policy.timezone, DEFAULT_TIMEZONE, TIMEZONE in rows, DESCRIPTIONS[TIMEZONE]
        ),
        SettingView(
            AWAY_REASONS,
            ", ".join(policy.away_reasons),
            setting_default(AWAY_REASONS),
            AWAY_REASONS in rows,
            DESCRIPTIONS[AWAY_REASONS],
        ),
    ]
    for ch in CHANNELS:
        key = f"channel.{ch.id}.capacity_model"
        out.append(
            SettingView(
                key,
                policy.model_for(ch).value,
                f"(default: {policy.capacity_model.value})",
                key in rows,
                f"Capacity model for {ch.name}",
            )
        )
        key = f"channel.{ch.id}.units"
        out.append(
            SettingView(
                key,
                str(policy.units_for(ch)),
                str(ch.default_units),
                key in rows,
                f"Units a {ch.name} session consumes",
            )
        )
        key = f"channel.{ch.id}.priority"
        out.append(
            SettingView(
                key,
                str(policy.priority_for(ch)),
                str(DEFAULT_PRIORITY),
                key in rows,
                f"Routing priority of {ch.name} work (1 is assigned first)",
            )
        )
    return out


def _is_model_key(key: str) -> bool:
    return key == CAPACITY_MODEL or (key.startswith("channel.") and key.endswith(".capacity_model"))


async def _model_change_note(conn: AsyncConnection, before: Policy, after: Policy) -> str:
    """A capacity model is stamped on a session when it is created (``sessions.capacity_model``),
    so a change applies to new sessions only: say so, and how many ongoing ones keep theirs."""
    changed = {
        ch.id: after.model_for(ch).value
        for ch in CHANNELS
        if before.model_for(ch) != after.model_for(ch)
    }
    if not changed:
        return ""
    counts = (
        await conn.execute(
            select(Session.channel, Session.capacity_model, func.count())
            .where(
                Session.channel.in_(list(changed)),
                Session.status.in_([s.value for s in LIVE_STATUSES]),
            )
            .group_by(Session.channel, Session.capacity_model)
        )
    ).all()
    ongoing = sum(n for channel, model, n in counts if model != changed[channel])
    keep = (
        f"; {plural(ongoing, 'ongoing session')} keep{'s' if ongoing == 1 else ''} the model "
        f"{'it' if ongoing == 1 else 'they'} started with"
        if ongoing
        else ""
    )
    return f"The capacity model applies to new sessions only{keep}."


async def set_setting(ctx: Ctx, key: str, value: str, *, admin: str) -> SettingView:
    """An admin changes one setting; ``value`` "default" removes the explicit value.

    The view returned carries a ``note`` when the change applies to new sessions only (a
    capacity model that changed).
    """
    note = ""
    async with ctx.db.write() as conn:
        now = ctx.now()  # inside the transaction: after the write lock (SQLite)
        await require_admin(conn, admin)
        before = await q.load_policy(conn) if _is_model_key(key) else None
        if value.strip().lower() == "default":
            setting_default(key)  # an unknown key is refused
            await conn.execute(delete(Setting).where(Setting.key == key))
        else:
            canonical = normalize_setting(key, value)
            found = await conn.scalar(select(Setting.key).where(Setting.key == key))
            if found is None:
                await conn.execute(
                    insert(Setting).values(
                        key=key, value=canonical, updated_at=now, updated_by=admin
                    )
                )
            else:
                await conn.execute(
                    update(Setting)
                    .where(Setting.key == key)
                    .values(value=canonical, updated_at=now, updated_by=admin)
                )
        if before is not None:
            note = await _model_change_note(conn, before, await q.load_policy(conn))
        await q.record_changes(conn, now, "settings", [(None, None)])
        await record_audit(conn, now, admin, "setting", key, value.strip())
    for view in await list_settings(ctx):
        if view.key == key:
            return replace(view, note=note)
    raise SettingError(f"unknown setting {key!r}")
