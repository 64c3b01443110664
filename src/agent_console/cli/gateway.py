"""``agent-console gateway``: the channel gateway in the foreground (docs/gateway.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import click

from ..domain.outbox import DEFAULT_LEASE, DEFAULT_TIMEOUT
from ..domain.pulse import WAKEUPS

if TYPE_CHECKING:
    from .main import State


@click.command("gateway")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8700, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(0, 16),
    default=1,
    show_default=True,
    help="Delivery workers in this process (0: take traffic in only).",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(0.1, 300),
    default=DEFAULT_TIMEOUT.total_seconds(),
    show_default=True,
    help="Seconds one webhook POST may take before it counts as failed.",
)
@click.option(
    "--lease",
    "lease_s",
    type=click.FloatRange(0.5, 3600),
    default=DEFAULT_LEASE.total_seconds(),
    show_default=True,
    help="Seconds a worker holds the events it claimed (a killed worker's are retried after).",
)
@click.option(
    "--route/--no-route",
    default=True,
    show_default=True,
    help="Assign queued work to Online agents as it comes in (as `agent-console route` does).",
)
@click.option(
    "--pulse-every",
    "pulse_every_s",
    type=click.FloatRange(0, 1),
    default=0.2,
    show_default=True,
    help="PostgreSQL: the least seconds between two pulses to the consoles (0: send none).",
)
@click.option(
    "--pulse-wakeups",
    type=click.IntRange(0),
    default=WAKEUPS,
    show_default=True,
    help="PostgreSQL: the listening backends a second the pulses may wake at most; on a big "
    "floor they come less often than --pulse-every (0: no bound).",
)
@click.option("--log-level", default="info", show_default=True, help="Gateway log on stderr.")
@click.pass_obj
def gateway(
    state: State,
    host: str,
    port: int,
    workers: int,
    timeout_s: float,
    lease_s: float,
    route: bool,
    pulse_every_s: float,
    pulse_wakeups: int,
    log_level: str,
) -> None:
    """Serve the channel API, the web chat page and outbound delivery on HOST:PORT."""
    if lease_s <= timeout_s:
        raise click.BadParameter("the lease must be longer than the timeout", param_hint="--lease")
    from ..gateway.app import GatewayOptions
    from ..gateway.server import log_to_stderr, run

    url = state.url

    async def check(ctx: object) -> None:  # open once: the schema is made, errors are one line
        return None

    state.run(check)
    log_to_stderr(log_level)
    options = GatewayOptions(
        workers=workers,
        timeout=timedelta(seconds=timeout_s),
        lease=timedelta(seconds=lease_s),
        busy_timeout_ms=state.settings.busy_timeout_ms,
        route=route,
        pulse_every=pulse_every_s,
        pulse_wakeups=pulse_wakeups,
    )
    run(url, host, port, options)


COMMANDS = [gateway]
