"""The macro picker (R10): choose a macro, run it on the open session, see what each step did.

Macros come from ``automation.list_macros`` and run through ``automation.run_macro``; every
step reports done or skipped with the service's reason (e.g. "end step skipped: agents may
not end sessions: setting is off"), and so does any trigger the macro set off.

No single accidental key runs a macro: a macro bundles steps that cannot be taken back (the
shipped ones end the session), so choosing one asks first, with "Cancel" as the answer enter
gives; y runs it. (The picker does not guess which macros end a session: that is the service's
knowledge, and every macro asks the same way.)
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList
from textual.widgets.option_list import Option

from ...domain.errors import ConsoleError
from ...domain.text import escape_log, one_line
from ...domain.vocab import session_label
from ...services.views import EndOutcome, StepOutcome
from ..screen_work import screen_work
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import MacroResult
    from ..backend import ConsoleBackend


def macro_prompt(name: str, description: str) -> Content:
    return Content.assemble(
        (one_line(name, 60), "bold"), "\n  ", (one_line(description, 120), "$foreground-muted")
    )


def result_lines(result: MacroResult) -> list[Content]:
    """One line per step and per trigger that ran, each with the service's reason."""
    lines: list[Content] = []
    for step in result.steps:
        if step.result is StepOutcome.DONE:
            lines.append(
                Content.assemble(("✓ ", "$success"), (step.step, "bold"), f": {step.reason}")
            )
        else:
            lines.append(
                Content.assemble(
                    ("✗ ", "$warning"), (f"{step.step} step skipped", "bold"), f": {step.reason}"
                )
            )
    for fired in result.triggers:
        label = session_label(fired.session_id)
        verb = "ended" if fired.result is EndOutcome.ENDED else "skipped"
        lines.append(
            Content.assemble(
                ("⚡ ", "$accent"), (f"trigger {verb} {label}", "bold"), f": {fired.reason}"
            )
        )
    return lines


def run_question(
    macro: str, description: str, session_id: int, customer: str
) -> tuple[str, list[Content]]:
    """The title and lines of the question asked before a macro runs."""
    on = session_label(session_id) + (f" · {one_line(customer, 30)}" if customer else "")
    lines = [Content(one_line(description, 120))] if description else []
    lines.append(Content("Its steps run at once and cannot be taken back."))
    return f"Run {one_line(macro, 60)} on {on}?", lines


class MacroPickerScreen(ModalScreen["MacroResult | None"]):
    """Dismisses with the result of the macro that ran, or None."""

    CSS_PATH = "macro_picker.tcss"
    HELP = (
        "Run a macro on the open session (R10), e.g. Escalate to Tier 2: a note, a transfer and "
        "the end of the session. A chosen macro asks before it runs (y runs it). Each step "
        "shows done or skipped with the reason."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="macro-close", tooltip="Back to the console"),
    ]

    def __init__(self, backend: ConsoleBackend, session_id: int, customer: str = "") -> None:
        super().__init__(id="macro-picker")
        self.backend = backend
        self.session_id = session_id
        self.customer = customer
        self.result: MacroResult | None = None
        self.error: str | None = None
        self._descriptions: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="macro-box"):
            yield Label(
                Content.assemble(
                    ("Run a macro on ", "bold"),
                    (session_label(self.session_id), "bold"),
                    f" · {one_line(self.customer, 30)}" if self.customer else "",
                ),
                id="macro-title",
            )
            yield OptionList(id="macro-options")
            with VerticalScroll(id="macro-result"):
                yield Label("", id="macro-result-title", markup=False)
            yield Button("Close", id="macro-done")
            yield Label(
                Content("enter asks before the highlighted macro runs · escape closes"),
                id="macro-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#macro-result").display = False
        self.query_one("#macro-done").display = False
        options = self.query_one("#macro-options", OptionList)
        options.loading = True
        options.focus()
        self._load()

    @screen_work(exclusive=True, group="macros")
    async def _load(self) -> None:
        options = self.query_one("#macro-options", OptionList)
        try:
            macros = await self.backend.list_macros()
        except ConsoleError as exc:
            if self.is_attached:
                self._show_error(str(exc))
            return
        finally:
            options.loading = False
        if not self.is_attached:  # closed while the database answered
            return
        self._descriptions = dict(macros)
        options.add_options([Option(macro_prompt(name, desc), id=name) for name, desc in macros])
        if macros:
            options.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        macro = event.option.id
        if macro is None or self.result is not None:
            return
        title, lines = run_question(
            macro, self._descriptions.get(macro, ""), self.session_id, self.customer
        )
        self.app.push_screen(
            ConfirmScreen(title, lines, confirm="Run macro"),
            callback=partial(self._run_confirmed, macro),
        )

    def _run_confirmed(self, macro: str, confirmed: bool | None) -> None:
        if confirmed and self.result is None and self.is_attached:
            self._run(macro)

    @screen_work(exclusive=True, group="macros")
    async def _run(self, macro: str) -> None:
        options = self.query_one("#macro-options", OptionList)
        options.disabled = True
        try:
            result = await self.backend.run_macro(macro, self.session_id)
        except ConsoleError as exc:
            options.disabled = False
            if self.is_attached:
                self._show_error(str(exc))
            return
        self.result = result
        if not self.is_attached:
            return
        self._show_result(
            Content.assemble(
                ("Ran ", "bold"),
                (one_line(result.macro, 60), "bold"),
                f" on {session_label(result.session_id)}:",
            ),
            result_lines(result),
        )

    def _show_error(self, message: str) -> None:
        self.error = message
        self._show_result(
            Content.styled("The macro did not run:", "bold $text-error"),
            [Content(escape_log(message))],
        )

    def _show_result(self, title: Content, lines: list[Content]) -> None:
        box = self.query_one("#macro-result", VerticalScroll)
        box.remove_children(".macro-step")
        self.query_one("#macro-result-title", Label).update(title)
        box.mount_all(Label(line, classes="macro-step") for line in lines)
        box.display = True
        self.query_one("#macro-options").display = self.result is None
        done = self.query_one("#macro-done", Button)
        done.display = True
        if self.result is not None:
            done.focus()
            self.query_one("#macro-hint", Label).update(Content("enter or escape closes"))

    @property
    def result_texts(self) -> list[str]:
        return [str(label.content) for label in self.query(".macro-step").results(Label)]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.result)

    def action_close(self) -> None:
        self.dismiss(self.result)
