"""The budget dialogs: the decision a budget's hold asks for, and the budget editor.

The hold dialog opens by itself when a pause budget holds a call back (the controller's `budget_hold`). It is
keyboard-operable: each decision has a one-key shortcut shown on its button, Tab and the arrows move between
buttons, Enter presses the focused one. Focus starts on "Keep paused", the one choice that spends nothing and
ends nothing: the run stays paused and the panel's "Decide..." brings the dialog back.
"""

from __future__ import annotations

from dataclasses import dataclass

from imgui_bundle import imgui

from ..pricing.budgets import ACTIONS, BUDGET_PERIODS, Budget, BudgetError, parse_alert_at, parse_limit
from ..pricing.money import units_to_decimal
from ..pricing.tiers import TIER_NAMES
from .budget_view import HoldView, build_hold_view, money, short_name
from .style import BAD, GOOD, MUTED, TABLE_FLAGS

HOLD_POPUP = "Budget reached###budget hold"
EDITOR_POPUP = "Budgets###budget editor"
RAISE, ONCE, RUN, STOP, KEEP = (
 "Raise the limit (R)",
 "Allow this one call (O)",
 "Allow this run (A)",
 "Stop the run (S)",
 "Keep paused (Esc)",
)
LIMIT_INPUT_WIDTH = 110
HOLD_ACROSS = 0.4  # left of the middle: the Cost Analytics column (its budget bars) on the right stays in view
POPUP_FLAGS = imgui.WindowFlags_.always_auto_resize | imgui.WindowFlags_.no_saved_settings


def one_line(exc: Exception) -> str:
 """An error as the one line a dialog shows (a KeyError's message without its quotes)."""
 text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
 return str(text).splitlines()[0] if text else type(exc).__name__


def _center_next_popup(across: float = 0.5) -> None:
 """Place the next popup's center `across` the main window's width (0.5: the middle), halfway down."""
 viewport = imgui.get_main_viewport()
 at = imgui.ImVec2(viewport.pos.x + viewport.size.x * across, viewport.get_center().y)
 imgui.set_next_window_pos(at, imgui.Cond_.appearing, imgui.ImVec2(0.5, 0.5))


def _shortcut(key: imgui.Key) -> bool:
 """`key` pressed while no text field takes the keyboard (R typed into the limit is a digit's neighbour, not a
 decision)."""
 return not imgui.get_io().want_text_input and imgui.is_key_pressed(key, False)


class BudgetHoldDialog:
 """The modal that asks what to do about the call a budget holds back (see the module docstring)."""

 def __init__(self, controller) -> None:
  self.controller = controller
  self.view: HoldView | None = None
  self.limit_text = ""
  self.error = ""
  self._shown: object = None  # the hold (a BudgetHeld event) the dialog was built for
  self._closed: object = None  # the hold the user decided on or put aside
  self._want_open = False

 @property
 def pending(self) -> bool:
  """Whether a hold waits for a decision that the dialog is not showing (it was put aside)."""
  return self._shown is not None and self._shown is self._closed

 def reopen(self) -> None:
  """Show the dialog again for the hold it was put aside on."""
  if self._shown is not None:
   self._closed, self._want_open = None, True

 def draw(self) -> None:
  """Once per frame: follow the controller's hold, open the dialog on a new one, draw it while open."""
  held = self.controller.budget_hold
  if held is not self._shown:
   self._follow(held)
  if self._want_open:
   imgui.open_popup(HOLD_POPUP)
   self._want_open = False
  _center_next_popup(HOLD_ACROSS)
  opened, _ = imgui.begin_popup_modal(HOLD_POPUP, None, POPUP_FLAGS)
  if not opened:
   return
  if self.view is None or held is self._closed:
   imgui.close_current_popup()  # resolved elsewhere (F6, Stop) or just decided
  else:
   self._contents(self.view, held)
  imgui.end_popup()

 def _follow(self, held) -> None:
  self._shown, self.error = held, ""
  self.view = None if held is None else build_hold_view(held.hold)
  self.limit_text = self.view.suggested_limit if self.view else ""
  self._want_open = held is not None

 def _contents(self, view: HoldView, held) -> None:
  imgui.text(view.title)
  imgui.separator()
  if imgui.begin_table("hold figures", 2, imgui.TableFlags_.sizing_fixed_fit):
   for name, value in view.lines:
    imgui.table_next_row()
    imgui.table_set_column_index(0)
    imgui.text_colored(MUTED, name)
    imgui.table_set_column_index(1)
    imgui.text(value)
   imgui.end_table()
  imgui.spacing()
  self._raise_row(view, held)
  if self.error:
   imgui.text_colored(BAD, self.error)
  imgui.spacing()
  self._decisions(view, held)

 def _raise_row(self, view: HoldView, held) -> None:
  imgui.align_text_to_frame_padding()
  imgui.text("New limit  $")
  imgui.same_line()
  imgui.set_next_item_width(LIMIT_INPUT_WIDTH)
  entered, self.limit_text = imgui.input_text(
   "##new limit", self.limit_text, imgui.InputTextFlags_.enter_returns_true | imgui.InputTextFlags_.chars_decimal
  )
  imgui.same_line()
  if imgui.button(RAISE) or entered or _shortcut(imgui.Key.r):
   self.raise_limit(view, held)
  imgui.same_line()
  imgui.text_disabled(f"the held call needs {money(view.needed_units, view.needed_units)} or more")

 def _decisions(self, view: HoldView, held) -> None:
  decisions = (
   (ONCE, imgui.Key.o, lambda: self.controller.allow_budget_once(view.key)),
   (RUN, imgui.Key.a, lambda: self.controller.allow_budget_run(view.key)),
   (STOP, imgui.Key.s, self.controller.stop),
  )
  for label, key, decide in decisions:
   if imgui.button(label) or _shortcut(key):
    self._decided(held, decide)
    return  # one decision per frame (a focused button pressed with Enter is not also "Keep paused")
   imgui.same_line()
  keep = imgui.button(KEEP)
  imgui.set_item_default_focus()
  # Enter, like Esc, keeps the run paused: the default is the one choice that spends nothing and ends nothing.
  if keep or _shortcut(imgui.Key.escape) or _shortcut(imgui.Key.enter):
   self._decided(held, lambda: None)

 def _decided(self, held, decide) -> None:
  try:
   decide()
  except (KeyError, ValueError, RuntimeError) as exc:
   self.error = one_line(exc)
   return
  self._closed = held
  imgui.close_current_popup()

 def raise_limit(self, view: HoldView, held) -> None:
  """Save the typed limit for the held call's budget and resume; a bad amount or a project file that cannot
  be written shows as one line and keeps the dialog open."""
  try:
   units = parse_limit(self.limit_text, "the new limit")
  except BudgetError as exc:
   self.error = one_line(exc)
   return
  self._decided(held, lambda: self.controller.raise_budget_limit(view.key, units))


@dataclass
class Draft:
 """A budget as typed in the editor."""

 limit: str
 alert: str
 action: int


def draft_of(budget: Budget) -> Draft:
 """The editor's fields for `budget`."""
 return Draft(dollars(budget.limit_units), f"{budget.alert_pct.normalize():f}", ACTIONS.index(budget.action))


def dollars(units: int) -> str:
 """Units as dollars the way a person types them: `100`, `0.5`, `12.25`."""
 return format(units_to_decimal(units).normalize(), "f")


PERIODS = tuple(BUDGET_PERIODS)
TIER_CHOICES = ("All tiers", *TIER_NAMES)
EDITOR_COLUMNS = ("Budget", "Limit $", "Alert at %", "At the limit", "")


class BudgetEditor:
 """The Budgets dialog: change a budget's limit, alert threshold and action, remove one, add one; each change
 is saved to the project file at once (through the controller) or shown as a one-line error."""

 def __init__(self, controller) -> None:
  self.controller = controller
  self.drafts: dict[str, Draft] = {}
  self.new = Draft("100", "80", ACTIONS.index("pause"))
  self.new_period = PERIODS.index("monthly")
  self.new_tier = 0
  self.error = ""
  self.saved = ""
  self._want_open = False

 def open(self) -> None:
  """Open the dialog with the budgets in force."""
  self._load()
  self.error = self.saved = ""
  self._want_open = True

 def _load(self) -> None:
  self.drafts = {budget.key: draft_of(budget) for budget in self.controller.config.budgets.limits}

 def draw(self) -> None:
  """Once per frame: the dialog, while open."""
  if self._want_open:
   imgui.open_popup(EDITOR_POPUP)
   self._want_open = False
  _center_next_popup()
  opened, _ = imgui.begin_popup_modal(EDITOR_POPUP, True, POPUP_FLAGS)
  if not opened:
   return
  self._contents()
  imgui.end_popup()

 def _contents(self) -> None:
  imgui.text_disabled(f"Saved in {self.controller.project_dir / 'mma_conductor.toml'}")
  if imgui.begin_table("budget editor", len(EDITOR_COLUMNS), TABLE_FLAGS):
   for label in EDITOR_COLUMNS:
    imgui.table_setup_column(label)
   imgui.table_headers_row()
   for budget in self.controller.config.budgets.limits:
    self._row(budget)
   self._new_row()
   imgui.end_table()
  self._messages()
  if imgui.button("Close (Esc)") or _shortcut(imgui.Key.escape):
   imgui.close_current_popup()

 def _messages(self) -> None:
  if self.error:
   imgui.text_colored(BAD, self.error)
  elif self.saved:
   imgui.text_colored(GOOD, self.saved)

 def _row(self, budget: Budget) -> None:
  draft = self.drafts.setdefault(budget.key, draft_of(budget))
  imgui.push_id(budget.key)
  imgui.table_next_row()
  imgui.table_set_column_index(0)
  imgui.align_text_to_frame_padding()
  imgui.text(short_name(budget))
  _draft_fields(draft)
  imgui.table_set_column_index(4)
  if imgui.button("Save"):
   self.save(budget.key)
  imgui.same_line()
  if imgui.button("Remove"):
   self.remove(budget.key)
  imgui.pop_id()

 def _new_row(self) -> None:
  imgui.push_id("new budget")
  imgui.table_next_row()
  imgui.table_set_column_index(0)
  imgui.set_next_item_width(90)
  self.new_period = imgui.combo("##period", self.new_period, PERIODS)[1]
  imgui.same_line()
  imgui.set_next_item_width(90)
  self.new_tier = imgui.combo("##tier", self.new_tier, TIER_CHOICES)[1]
  _draft_fields(self.new)
  imgui.table_set_column_index(4)
  if imgui.button("Add"):
   self.add()
  imgui.pop_id()

 def save(self, key: str) -> None:
  """Save the typed limit, alert and action of the budget named `key` (what its Save button does)."""
  budget = self.controller.config.budgets.find(key)
  if budget is not None:
   self._save(budget.period, budget.tier, self.drafts[key])

 def add(self) -> None:
  """Add the budget typed in the last row (or replace the one of that period and tier): the Add button."""
  self._save(PERIODS[self.new_period], TIER_CHOICES[self.new_tier] if self.new_tier else "", self.new)

 def remove(self, key: str) -> None:
  """Remove the budget named `key` (its Remove button)."""
  self._change(lambda: self.controller.remove_budget(key), f"removed the {key} budget")

 def _save(self, period: str, tier: str, draft: Draft) -> None:
  key = f"{tier} {period}" if tier else period

  def save() -> None:
   limit = parse_limit(draft.limit, f"{key} budget: limit")
   alert = parse_alert_at(draft.alert, f"{key} budget: alert at")
   self.controller.set_budget(Budget(period, limit, alert, ACTIONS[draft.action], tier))

  self._change(save, f"saved the {key} budget")

 def _change(self, change, done: str) -> None:
  try:
   change()
  except (BudgetError, KeyError, OSError) as exc:
   self.error, self.saved = one_line(exc), ""
   return
  self.error, self.saved = "", done
  self._load()


def _draft_fields(draft: Draft) -> None:
 """The limit, alert and action cells of an editor row."""
 imgui.table_set_column_index(1)
 imgui.set_next_item_width(LIMIT_INPUT_WIDTH)
 draft.limit = imgui.input_text("##limit", draft.limit, imgui.InputTextFlags_.chars_decimal)[1]
 imgui.table_set_column_index(2)
 imgui.set_next_item_width(70)
 draft.alert = imgui.input_text("##alert", draft.alert, imgui.InputTextFlags_.chars_decimal)[1]
 imgui.table_set_column_index(3)
 imgui.set_next_item_width(80)
 draft.action = imgui.combo("##action", draft.action, ACTIONS)[1]
