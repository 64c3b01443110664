"""PostgreSQL roles, privileges and row-level security: the rules about *who*, held by the
database itself (issue 15). Nothing here runs on SQLite, which is one person's console.

A deployment set up with :func:`install` has five group roles (``db_roles`` names them by
kind) and one login role per agent (``agents.db_role``):

- ``agent``: every agent. Reads the floor; writes only what its own work needs -- its own
  sessions (reply, End Chat, close tab, transfer out), its drafts, read markers and list
  preferences, its own presence; never settings, macros, triggers, quick replies, channels,
  agents' capacity, permissions or logins. Row-level security and two guard triggers hold
  the rows: another agent's session or agent row is out of reach.
- ``ender``: agents with ``end_messaging_session``: may end another agent's session (the
  bulk end from the Messaging Sessions list), and nothing else of it.
- ``admin``: admins (supervisors): every row of every table, the agents' logins through the
  functions below; no DDL.
- ``gateway``: the channel gateway: takes messages in and works the outbox.
- ``system``: timers, routing, triggers, sweeps run as a job: the floor's operational
  tables, no configuration.

The schema's owner (the role that ran ``db upgrade``) bypasses all of it, as PostgreSQL's
table owners do; only ``db upgrade`` and the setup should use it. No group may run DDL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.errors import Refused

#: The group kinds, in the order they are made.
KINDS = ("agent", "ender", "admin", "gateway", "system")
#: The groups an agent's login may be put in (by its permissions and admin flag).
AGENT_KINDS = ("agent", "ender", "admin")
#: SQL: the id of the agent whose login the connection uses (NULL: none).
ME = "(SELECT id FROM agents WHERE db_role = current_user)"
#: The row of ``db_roles`` that keeps the prefix of agents' login names.
LOGIN_PREFIX = "login-prefix"
#: PostgreSQL's longest identifier, in bytes.
MAX_ROLE_BYTES = 63

#: Tables of configuration: only admins write them (the system and the gateway read them).
CONFIG_TABLES = ("settings", "macros", "triggers", "quick_replies", "channel_connections")
#: Columns of ``agents`` an agent's role may write (its own row; another's only
#: ``used_units``, by the guard trigger): presence, and the capacity it uses.
AGENT_WRITABLE = (
    "used_units",
    "presence",
    "logged_in",
    "away_reason",
    "presence_since",
    "presence_by",
    "presence_note",
)
#: Columns of ``agents`` admins write directly; ``db_role`` only through the login functions.
ADMIN_WRITABLE = ("name", "capacity", "permissions", "is_admin", "created_at", *AGENT_WRITABLE)
#: The columns a role may give when it records an end or an audit line: not ``db_role``,
#: which the database fills with ``CURRENT_USER``.
END_COLUMNS = (
    "session_id",
    "actor_kind",
    "actor",
    "agent_id",
    "surface",
    "reason",
    "at",
    "bulk_id",
)
AUDIT_COLUMNS = ("at", "actor", "action", "target", "detail")
#: Tables every agent writes for its own work (rows of others kept out by the policies).
AGENT_OWN = ("drafts", "read_markers", "agent_preferences")


def quote(name: str) -> str:
    """``name`` as a PostgreSQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """``value`` as a PostgreSQL string literal (quotes doubled; no backslash escapes)."""
    return "'" + value.replace("'", "''") + "'"


def check_role_name(name: str) -> str:
    """A role name PostgreSQL accepts, or Refused saying why."""
    if not name or "\x00" in name:
        raise Refused("a database role needs a name without NUL characters")
    if len(name.encode()) > MAX_ROLE_BYTES:
        raise Refused(
            f"the database role name {name!r} is longer than PostgreSQL's "
            f"{MAX_ROLE_BYTES} bytes: choose a shorter --login-prefix or agent name"
        )
    return name


def _member(groups: dict[str, str], kind: str) -> str:
    """SQL: whether the connection's role is in the group of ``kind``. The name is written
    into the statement (``db roles`` writes them again): ``pg_has_role`` reads PostgreSQL's
    membership cache, with no table read per row."""
    return f"pg_has_role(current_user, {literal(groups[kind])}, 'MEMBER')"


def _functions(groups: dict[str, str]) -> list[str]:
    """The identity helper the policies call, and the guard triggers."""
    admin, ender, agent, gateway, system = (
        _member(groups, k) for k in ("admin", "ender", "agent", "gateway", "system")
    )
    return [
        # The agent the connection's role logs in as (None: not an agent's login). Policies
        # read the same as a subquery (:data:`ME`): an InitPlan, once per statement, without
        # a SQL function call; the triggers' WHEN, where no subquery may go, calls this.
        """CREATE OR REPLACE FUNCTION ac_me() RETURNS bigint
           LANGUAGE sql STABLE AS $$ SELECT id FROM agents WHERE db_role = current_user $$""",
        # An agent (not an admin) changes its own sessions; an ender may also end another's
        # (and change nothing else of it); routing gives queued work. Row-level security has
        # already hidden the rest; this holds the transition, which a policy cannot see (it
        # sees the old row and the new one apart). The cheap tests come first: a bulk end of
        # 10,000 rows runs this 10,000 times.
        f"""CREATE OR REPLACE FUNCTION ac_guard_session() RETURNS trigger
           LANGUAGE plpgsql AS $$
           BEGIN
             IF {admin} OR {system} THEN
               RETURN NEW;
             END IF;
             -- The gateway: customers' activity and routing; it neither ends a session nor
             -- takes one from its agent.
             IF {gateway} AND NOT {agent} THEN
               IF NEW.status = 'Ended' AND OLD.status <> 'Ended' THEN
                 RAISE EXCEPTION 'the gateway does not end sessions (session %)', OLD.id
                   USING ERRCODE = 'insufficient_privilege';
               END IF;
               IF OLD.owner_id IS NOT NULL AND NEW.owner_id IS DISTINCT FROM OLD.owner_id THEN
                 RAISE EXCEPTION 'the gateway does not move agents'' sessions (session %)',
                   OLD.id USING ERRCODE = 'insufficient_privilege';
               END IF;
               RETURN NEW;
             END IF;
             IF NOT {agent} THEN
               RETURN NEW;
             END IF;
             IF NEW.status = 'Ended' AND OLD.status <> 'Ended'
                AND NEW.owner_id IS NOT DISTINCT FROM OLD.owner_id AND {ender} THEN
               RETURN NEW;
             END IF;
             -- Routing, which any console's change may run: queued work to an agent.
             IF OLD.owner_id IS NULL AND OLD.status <> 'Ended' AND NEW.status = 'Active'
                AND NEW.owner_id IS NOT NULL THEN
               RETURN NEW;
             END IF;
             IF OLD.owner_id IS NOT NULL AND OLD.owner_id = ac_me() THEN
               RETURN NEW;
             END IF;
             RAISE EXCEPTION 'session % belongs to another agent', OLD.id
               USING ERRCODE = 'insufficient_privilege';
           END $$""",
        # An agent writes its own row; of another's, only the capacity it uses (a transfer
        # to them, an end of their session by an ender).
        f"""CREATE OR REPLACE FUNCTION ac_guard_agent() RETURNS trigger
           LANGUAGE plpgsql AS $$
           BEGIN
             IF NOT {agent} OR {admin} OR {system} OR {gateway} THEN
               RETURN NEW;
             END IF;
             IF OLD.db_role IS NOT NULL AND OLD.db_role = current_user THEN
               RETURN NEW;
             END IF;
             IF (to_jsonb(NEW) - 'used_units') = (to_jsonb(OLD) - 'used_units') THEN
               RETURN NEW;
             END IF;
             RAISE EXCEPTION 'agent % is another agent', OLD.name
               USING ERRCODE = 'insufficient_privilege';
           END $$""",
    ]


def _login_functions(groups: dict[str, str]) -> list[str]:
    """The admins' way to agents' logins: functions run with the owner's rights (it has
    CREATEROLE), which touch only logins of agents and the three agent groups."""
    agent_groups = "ARRAY[" + ", ".join(literal(groups[k]) for k in AGENT_KINDS) + "]"
    # Each function touches only a role that is an agent's login.
    only_logins = """
             IF NOT EXISTS (SELECT 1 FROM agents WHERE db_role = login) THEN
               RAISE EXCEPTION 'role % is no agent''s login', login
                 USING ERRCODE = 'insufficient_privilege';
             END IF;"""
    return [
        f"""CREATE OR REPLACE FUNCTION ac_login_groups(login text, kinds text[]) RETURNS void
           LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
           DECLARE g text;
           BEGIN
{only_logins}
             FOREACH g IN ARRAY {agent_groups} LOOP
               EXECUTE format('REVOKE %I FROM %I', g, login);
             END LOOP;
             FOR g IN SELECT r.role_name FROM db_roles r
                      WHERE r.kind = ANY(kinds) AND r.kind IN ('agent', 'ender', 'admin') LOOP
               EXECUTE format('GRANT %I TO %I', g, login);
             END LOOP;
           END $$""",
        """CREATE OR REPLACE FUNCTION ac_login_create(
             agent_name text, login text, secret text, kinds text[]) RETURNS void
           LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
           BEGIN
             IF NOT EXISTS (SELECT 1 FROM agents WHERE name = agent_name) THEN
               RAISE EXCEPTION 'no agent named %', agent_name USING ERRCODE = 'no_data_found';
             END IF;
             IF EXISTS (SELECT 1 FROM agents WHERE name = agent_name AND db_role IS NOT NULL)
             THEN
               RAISE EXCEPTION 'agent % already has a login', agent_name
                 USING ERRCODE = 'duplicate_object';
             END IF;
             EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', login, secret);
             UPDATE agents SET db_role = login WHERE name = agent_name;
             PERFORM ac_login_groups(login, kinds);
           END $$""",
        f"""CREATE OR REPLACE FUNCTION ac_login_password(login text, secret text) RETURNS void
           LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
           BEGIN
{only_logins}
             EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', login, secret);
           END $$""",
        f"""CREATE OR REPLACE FUNCTION ac_login_disable(login text) RETURNS void
           LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
           BEGIN
{only_logins}
             EXECUTE format('ALTER ROLE %I NOLOGIN PASSWORD NULL', login);
             -- Its connections end now, not at their next login (the owner needs
             -- pg_signal_backend for that; without it they end when they close).
             BEGIN
               PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE usename = login AND pid <> pg_backend_pid();
             EXCEPTION WHEN insufficient_privilege THEN
               RAISE NOTICE 'login % disabled; its open connections stay until they close',
                 login;
             END;
           END $$""",
    ]


def _grants(g: dict[str, str]) -> list[str]:
    agent, ender, admin, gateway, system = (quote(g[k]) for k in KINDS)
    everyone = ", ".join((agent, ender, admin, gateway, system))
    cols = ", ".join
    out = [
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {everyone}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {everyone}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {agent}, {admin}, {gateway}, {system}",
        # The webhooks' signing secrets are the gateway's (and the admins') to read.
        f"REVOKE SELECT ON channel_connections FROM {agent}, {system}",
        f"GRANT SELECT (channel, webhook_url, connected_at, connected_by) "
        f"ON channel_connections TO {agent}, {system}",
        # -- agents: their own work
        f"GRANT INSERT, UPDATE ON sessions, customers, customer_handles TO {agent}",
        f"GRANT INSERT ON messages, changes, outbox, csat_requests TO {agent}",
        f"GRANT INSERT, UPDATE ON bulk_operations, bulk_items TO {agent}",
        f"GRANT INSERT, UPDATE, DELETE ON {cols(AGENT_OWN)} TO {agent}",
        f"GRANT UPDATE ({cols(AGENT_WRITABLE)}) ON agents TO {agent}",
        f"GRANT INSERT ({cols(END_COLUMNS)}) ON end_records TO {agent}, {system}",
        f"GRANT INSERT ({cols(AUDIT_COLUMNS)}) ON audit TO {agent}, {system}, {gateway}",
        # -- admins: every row, no DDL; logins only through the functions
        f"GRANT INSERT, UPDATE, DELETE ON {cols(CONFIG_TABLES)} TO {admin}",
        f"GRANT INSERT, UPDATE, DELETE ON sessions, customers, customer_handles, messages, "
        f"changes, outbox, csat_requests, bulk_operations, bulk_items, inbound_receipts, "
        f"webchat_events, {cols(AGENT_OWN)} TO {admin}",
        f"GRANT INSERT ({cols(ADMIN_WRITABLE)}), UPDATE ({cols(ADMIN_WRITABLE)}) "
        f"ON agents TO {admin}",
        f"GRANT INSERT ({cols(END_COLUMNS)}) ON end_records TO {admin}",
        f"GRANT INSERT ({cols(AUDIT_COLUMNS)}) ON audit TO {admin}",
        # -- the gateway: messages in, the outbox worked, the web chat's mailbox
        f"GRANT INSERT, UPDATE ON sessions, customers, customer_handles, messages, "
        f"inbound_receipts, outbox, webchat_events, csat_requests TO {gateway}",
        f"GRANT INSERT, DELETE ON changes TO {gateway}",
        f"GRANT UPDATE (used_units) ON agents TO {gateway}",  # routing
        # -- system jobs (timers, routing, triggers, sweeps): the floor, no configuration
        f"GRANT INSERT, UPDATE, DELETE ON sessions, customers, customer_handles, messages, "
        f"changes, outbox, csat_requests, bulk_operations, bulk_items, inbound_receipts, "
        f"webchat_events, {cols(AGENT_OWN)} TO {system}",
        f"GRANT UPDATE ({cols(AGENT_WRITABLE)}) ON agents TO {system}",
        # -- the login functions: admins only
        "REVOKE ALL ON FUNCTION ac_login_create(text, text, text, text[]) FROM PUBLIC",
        "REVOKE ALL ON FUNCTION ac_login_groups(text, text[]) FROM PUBLIC",
        "REVOKE ALL ON FUNCTION ac_login_password(text, text) FROM PUBLIC",
        "REVOKE ALL ON FUNCTION ac_login_disable(text) FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION ac_login_create(text, text, text, text[]) TO {admin}",
        f"GRANT EXECUTE ON FUNCTION ac_login_groups(text, text[]) TO {admin}",
        f"GRANT EXECUTE ON FUNCTION ac_login_password(text, text) TO {admin}",
        f"GRANT EXECUTE ON FUNCTION ac_login_disable(text) TO {admin}",
    ]
    return out


def _policies(g: dict[str, str]) -> list[str]:
    agent, ender, admin, gateway, system = (quote(g[k]) for k in KINDS)
    trusted = f"{admin}, {gateway}, {system}"
    out = []
    for table in ("sessions", "agents", *AGENT_OWN, "messages"):
        out.append(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        out.append(f"DROP POLICY IF EXISTS ac_trusted ON {table}")
        # The gateway and the jobs write customers' lines and system lines, never an agent's.
        whom = admin if table == "messages" else trusted
        out.append(f"CREATE POLICY ac_trusted ON {table} TO {whom} USING (true)")
    out += [
        # sessions: everyone reads the floor; an agent changes its own, an ender ends any
        "DROP POLICY IF EXISTS ac_read ON sessions",
        f"CREATE POLICY ac_read ON sessions FOR SELECT TO {agent} USING (true)",
        "DROP POLICY IF EXISTS ac_new ON sessions",
        # An agent opens sessions (outbound) for itself only.
        f"CREATE POLICY ac_new ON sessions FOR INSERT TO {agent} WITH CHECK (owner_id = {ME})",
        "DROP POLICY IF EXISTS ac_own ON sessions",
        f"CREATE POLICY ac_own ON sessions FOR UPDATE TO {agent} "
        f"USING (owner_id = {ME} OR owner_id IS NULL) WITH CHECK (true)",
        "DROP POLICY IF EXISTS ac_end ON sessions",
        f"CREATE POLICY ac_end ON sessions FOR UPDATE TO {ender} "
        "USING (status <> 'Ended') WITH CHECK (status = 'Ended')",
        "DROP TRIGGER IF EXISTS ac_guard ON sessions",
        # The function runs only where its answer is not already "yes": admins and the jobs,
        # an agent changing its own session (End Chat, a reply) and an ender ending one (a
        # bulk end: 10,000 rows) pass on the trigger's WHEN, without a call into PL/pgSQL.
        "CREATE TRIGGER ac_guard BEFORE UPDATE ON sessions FOR EACH ROW WHEN (NOT ("
        f"{_member(g, 'admin')} OR {_member(g, 'system')} "
        "OR coalesce(OLD.owner_id = ac_me(), false) OR ("
        "NEW.status = 'Ended' AND OLD.status <> 'Ended' "
        f"AND NEW.owner_id IS NOT DISTINCT FROM OLD.owner_id AND {_member(g, 'ender')} "
        f"AND NOT ({_member(g, 'gateway')} AND NOT {_member(g, 'agent')})))) "
        "EXECUTE FUNCTION ac_guard_session()",
        # agents: everyone reads; an agent writes its row (and others' used units)
        "DROP POLICY IF EXISTS ac_read ON agents",
        f"CREATE POLICY ac_read ON agents FOR SELECT TO {agent} USING (true)",
        "DROP POLICY IF EXISTS ac_write ON agents",
        f"CREATE POLICY ac_write ON agents FOR UPDATE TO {agent} USING (true) WITH CHECK (true)",
        "DROP TRIGGER IF EXISTS ac_guard ON agents",
        # Its own row (presence, the units an End Chat frees) passes on the WHEN.
        "CREATE TRIGGER ac_guard BEFORE UPDATE ON agents FOR EACH ROW "
        "WHEN (OLD.db_role IS DISTINCT FROM current_user) EXECUTE FUNCTION ac_guard_agent()",
        # messages: everyone reads; an agent writes into its own sessions, and an ender the
        # end line of a session it ends
        "DROP POLICY IF EXISTS ac_read ON messages",
        f"CREATE POLICY ac_read ON messages FOR SELECT TO {agent}, {gateway}, {system} "
        "USING (true)",
        "DROP POLICY IF EXISTS ac_customer ON messages",
        f"CREATE POLICY ac_customer ON messages FOR INSERT TO {gateway}, {system} "
        "WITH CHECK (author_kind <> 'agent')",
        "DROP POLICY IF EXISTS ac_write ON messages",
        f"CREATE POLICY ac_write ON messages FOR INSERT TO {agent} WITH CHECK ("
        "EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id "
        f"AND (s.owner_id = {ME} "
        f"OR (s.status = 'Ended' AND {_member(g, 'ender')}))))",
    ]
    # bulk ends: everyone reads; an agent starts and runs its own. A bulk end is run as the
    # agent its row names (``run_bulk`` takes the actor from it), so another agent's login
    # must not plant one under that name (its console offers to resume it) nor change its
    # rows.
    mine = f"agent_id = {ME}"
    its_bulk = f"EXISTS (SELECT 1 FROM bulk_operations b WHERE b.id = bulk_id AND b.{mine})"
    for table, own in (("bulk_operations", mine), ("bulk_items", its_bulk)):
        out += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"DROP POLICY IF EXISTS ac_trusted ON {table}",
            f"CREATE POLICY ac_trusted ON {table} TO {admin}, {system} USING (true)",
            f"DROP POLICY IF EXISTS ac_read ON {table}",
            f"CREATE POLICY ac_read ON {table} FOR SELECT TO {agent} USING (true)",
            f"DROP POLICY IF EXISTS ac_new ON {table}",
            f"CREATE POLICY ac_new ON {table} FOR INSERT TO {agent} WITH CHECK ({own})",
            f"DROP POLICY IF EXISTS ac_own ON {table}",
            f"CREATE POLICY ac_own ON {table} FOR UPDATE TO {agent} USING ({own}) "
            f"WITH CHECK ({own})",
        ]
    for table in AGENT_OWN:
        out += [
            f"DROP POLICY IF EXISTS ac_own ON {table}",
            f"CREATE POLICY ac_own ON {table} TO {agent} "
            f"USING (agent_id = {ME}) WITH CHECK (agent_id = {ME})",
        ]
    return out


async def group_roles(conn: AsyncConnection) -> dict[str, str]:
    """The deployment's group roles by kind; empty when roles were never set up."""
    rows = await conn.execute(text("SELECT kind, role_name FROM db_roles"))
    return {str(kind): str(name) for kind, name in rows if kind in KINDS}


async def stored_login_prefix(conn: AsyncConnection) -> str:
    """What goes before an agent's name to make its login's name ("" by default)."""
    value = await conn.scalar(
        text("SELECT role_name FROM db_roles WHERE kind = :k"), {"k": LOGIN_PREFIX}
    )
    return str(value or "")


async def install(
    conn: AsyncConnection, prefix: str, login_prefix: str | None = None
) -> dict[str, str]:
    """Make the group roles (``prefix`` + kind), the privileges, the policies and the login
    functions; agents' logins will be named ``login_prefix`` + the agent's name (None: as
    set before, "" the first time). Run by the schema's owner (with CREATEROLE); running it
    again brings a deployment's privileges up to date and keeps its groups."""
    groups = await group_roles(conn) or {k: check_role_name(prefix + k) for k in KINDS}
    if login_prefix is None:
        login_prefix = await stored_login_prefix(conn)
    elif login_prefix:
        check_role_name(login_prefix)
    await conn.execute(
        text(
            "INSERT INTO db_roles (kind, role_name) VALUES (:k, :n) "
            "ON CONFLICT (kind) DO UPDATE SET role_name = excluded.role_name"
        ),
        {"k": LOGIN_PREFIX, "n": login_prefix},
    )
    for kind in KINDS:
        name = groups[kind]
        exists = await conn.scalar(
            text("SELECT count(*) FROM pg_roles WHERE rolname = :n"), {"n": name}
        )
        if not exists:
            await conn.execute(text(f"CREATE ROLE {quote(name)} NOLOGIN"))
        await conn.execute(
            text(
                "INSERT INTO db_roles (kind, role_name) VALUES (:k, :n) "
                "ON CONFLICT (kind) DO UPDATE SET role_name = excluded.role_name"
            ),
            {"k": kind, "n": name},
        )
    for statement in (*_functions(groups), *_login_functions(groups), *_grants(groups)):
        await conn.execute(text(statement))
    for statement in _policies(groups):
        await conn.execute(text(statement))
    return groups


async def create_login(
    conn: AsyncConnection, agent: str, login: str, password: str, kinds: Sequence[str]
) -> None:
    """The agent's login role, in the groups of ``kinds`` (admins' rights, via the owner)."""
    await conn.execute(
        text("SELECT ac_login_create(:a, :l, :p, :k)"),
        {"a": agent, "l": check_role_name(login), "p": password, "k": list(kinds)},
    )


async def set_login_groups(conn: AsyncConnection, login: str, kinds: Iterable[str]) -> None:
    await conn.execute(text("SELECT ac_login_groups(:l, :k)"), {"l": login, "k": list(kinds)})


async def set_password(conn: AsyncConnection, login: str, password: str) -> None:
    await conn.execute(text("SELECT ac_login_password(:l, :p)"), {"l": login, "p": password})


async def disable_login(conn: AsyncConnection, login: str) -> None:
    await conn.execute(text("SELECT ac_login_disable(:l)"), {"l": login})


async def connected_role(conn: AsyncConnection) -> tuple[str, bool]:
    """The connection's role, and whether it owns the schema's tables or is a superuser
    (both bypass row-level security: the admin tasks' connection)."""
    row = (
        await conn.execute(
            text(
                "SELECT current_user, "
                "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
                "OR pg_has_role(current_user, "
                "(SELECT tableowner FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename = 'sessions'), 'MEMBER')"
            )
        )
    ).one()
    return str(row[0]), bool(row[1])


async def make_system_login(conn: AsyncConnection, kind: str, login: str, password: str) -> None:
    """A login for a system actor (the gateway, the jobs), in its group; again: a new password."""
    groups = await group_roles(conn)
    if kind not in ("gateway", "system") or kind not in groups:
        raise Refused(f"no {kind} group: run `agent-console db roles` first")
    name = quote(check_role_name(login))
    exists = await conn.scalar(
        text("SELECT count(*) FROM pg_roles WHERE rolname = :n"), {"n": login}
    )
    verb = "ALTER" if exists else "CREATE"
    await conn.execute(text(f"{verb} ROLE {name} LOGIN PASSWORD {literal(password)}"))
    await conn.execute(text(f"GRANT {quote(groups[kind])} TO {name}"))
