"""The transfer picker (issue 11): hand a session to another agent, or back to the queue.

Who is offered, and why the others are not ("erin: Busy", "sam: no free capacity (5/5)"), is
the service's answer (``transfer.transfer_options``, from the domain's rules); the transfer
itself is ``transfer.transfer``, which checks everything again on the locked rows. The picker
passes the owner it showed: if another console moved the session meanwhile, the service
refuses with that reason and the picker shows it, with the list read again.

Opened from the console (the open session) and from a list row's menu. Dismisses with the
:class:`TransferResult`, or None when nothing was transferred.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ...domain.errors import ConsoleError
from ...domain.text import escape_log, one_line, plural
from ...domain.vocab import session_label
from ..screen_work import screen_work
from ..widgets.footer import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import TransferOptions, TransferResult, TransferTarget
    from ..backend import ConsoleBackend

#: The option that sends the session back to the queue; an agent's option is ``agent:NAME``.
QUEUE = "queue"
AGENT = "agent:"
NOBODY = "Nobody can take it now: no Online agent with the permissions and free capacity"


def target_prompt(target: TransferTarget) -> Content:
    """``erin   3 free · 2/5 used`` (offered) or ``sam: no free capacity (5/5)`` (not)."""
    name = one_line(target.name, 30)
    if target.eligible:
        return Content.assemble(
            (name, "bold"),
            "   ",
            (f"{target.free} free", "$text-success"),
            (f" · {target.used}/{target.capacity} used", "$foreground-muted"),
        )
    return Content.assemble(name, ": ", (one_line(target.reason, 80), "italic"))


def queue_prompt() -> Content:
    return Content.assemble(
        ("Back to the queue", "bold"),
        ("   Waiting, unowned: routing assigns it again", "$foreground-muted"),
    )


def picker_options(options: TransferOptions) -> list[Option | None]:
    """Eligible agents (most free capacity first), Back to the queue, then the agents not
    offered, each with the reason (disabled). Nothing is enabled when the session may not be
    transferred at all."""
    allowed = options.allowed
    offered = [t for t in options.targets if t.eligible]
    others = [t for t in options.targets if not t.eligible]
    out: list[Option | None] = []
    if offered:
        out += [Option(target_prompt(t), id=AGENT + t.name, disabled=not allowed) for t in offered]
    else:
        out.append(Option(Content.styled(NOBODY, "italic"), disabled=True))
    out.append(Option(queue_prompt(), id=QUEUE, disabled=not allowed))
    if others:
        out.append(None)
        out.append(Option(Content.styled("Not offered:", "$foreground-muted"), disabled=True))
        out += [Option(target_prompt(t), disabled=True) for t in others]
    return out


def facts_line(options: TransferOptions) -> Content:
    row = options.session
    return Content(
        f"{one_line(row.channel_name, 40)} · {row.status} · owner "
        f"{one_line(row.owner or 'none', 30)} · {row.capacity_model}, "
        f"{plural(options.units, 'unit')}"
    )


class TransferPickerScreen(ModalScreen["TransferResult | None"]):
    CSS_PATH = "transfer_picker.tcss"
    HELP_TITLE = "Transfer picker"
    HELP = (
        "Transfer a session: to an Online agent with the channel's permissions and free "
        "capacity (most free first), or back to the queue (Waiting, unowned; routing assigns "
        "it again). The agents not offered are listed with the reason. Capacity moves with the "
        "session; an internal line in the transcript records it."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="transfer-close", tooltip="Transfer nothing"),
    ]

    def __init__(self, backend: ConsoleBackend, session_id: int, customer: str = "") -> None:
        super().__init__(id="transfer-picker")
        self.backend = backend
        self.session_id = session_id
        self.customer = customer
        self.options: TransferOptions | None = None
        #: The last refusal shown (a transfer another console got to first...).
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="transfer-box"):
            yield Label(self._title(self.customer), id="transfer-title")
            yield Label("", id="transfer-facts")
            yield Label("", id="transfer-note")
            yield OptionList(id="transfer-options")
            yield Label(
                Content("enter transfers to the highlighted choice · escape closes"),
                id="transfer-hint",
            )
        yield Footer()

    def _title(self, customer: str) -> Content:
        return Content.assemble(
            ("Transfer ", "bold"),
            (session_label(self.session_id), "bold"),
            f" · {one_line(customer, 30)}" if customer else "",
        )

    def on_mount(self) -> None:
        self.query_one("#transfer-note").display = False
        options = self.query_one("#transfer-options", OptionList)
        options.loading = True
        options.focus()
        self._load()

    @screen_work(exclusive=True, group="transfer")
    async def _load(self) -> None:
        options = self.query_one("#transfer-options", OptionList)
        try:
            got = await self.backend.transfer_options(self.session_id)
        except ConsoleError as exc:
            if self.is_attached:
                self.notify(escape_log(str(exc)), severity="error", markup=False)
                self.dismiss(None)
            return
        finally:
            options.loading = False
        if not self.is_attached:  # closed while the database answered
            return
        self._show(got)

    def _show(self, got: TransferOptions) -> None:
        self.options = got
        self.query_one("#transfer-title", Label).update(self._title(got.session.customer))
        self.query_one("#transfer-facts", Label).update(facts_line(got))
        notes = [self.error] if self.error else []
        if not got.allowed:
            notes.append(f"Cannot transfer: {got.reason}")
        if notes:
            self._note("\n".join(notes))
        else:
            self.query_one("#transfer-note").display = False
        options = self.query_one("#transfer-options", OptionList)
        options.clear_options()
        options.add_options(picker_options(got))
        options.disabled = False
        first = next(
            (i for i, o in enumerate(options.options) if not o.disabled and o.id is not None), None
        )
        options.highlighted = first

    def _note(self, text: str) -> None:
        note = self.query_one("#transfer-note", Label)
        note.update(Content("\n".join(escape_log(line) for line in text.split("\n"))))
        note.display = True

    @property
    def option_texts(self) -> list[tuple[str, bool]]:
        """(text, enabled) of every choice (for tests)."""
        options = self.query_one("#transfer-options", OptionList)
        return [(str(o.prompt), not o.disabled) for o in options.options]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        choice = event.option.id
        if self.options is None or not self.options.allowed or choice is None:
            return
        if choice == QUEUE:
            self._transfer(None)
        elif choice.startswith(AGENT):
            self._transfer(choice.removeprefix(AGENT))

    @screen_work(exclusive=True, group="transfer")
    async def _transfer(self, to: str | None) -> None:
        assert self.options is not None
        options = self.query_one("#transfer-options", OptionList)
        options.disabled = True
        try:
            result: TransferResult = await self.backend.transfer(
                self.session_id, to, expected_owner=self.options.session.owner
            )
        except ConsoleError as exc:
            if not self.is_attached:
                return
            # Someone was first, or the receiver changed: say why and show the list as it is.
            why = str(exc)
            self.error = why[:1].upper() + why[1:]
            self._note(self.error)
            try:
                got = await self.backend.transfer_options(self.session_id)
            except ConsoleError:
                options.disabled = False
                return
            self._show(got)
            return
        self.dismiss(result)

    def action_close(self) -> None:
        self.dismiss(None)
