"""The Track window: the goal, Run / Pause / Step / Stop, and each tier's provider and model."""

from __future__ import annotations

from imgui_bundle import imgui

from ..app.project_config import DEFAULT_TIERS, PROVIDER_DEFAULT_MODELS, PROVIDERS, TierConfig
from ..pricing.tiers import TIER_NAMES, TIER_ROLES
from .commands import TRACK_COMMANDS
from .style import BAD, GOOD, MUTED, SIMULATED
from .widgets import hover_tooltip

SIMULATED_TOOLTIP = (
 "Set GEMINI_API_KEY, ANTHROPIC_API_KEY, OPENAI_API_KEY or DEEPSEEK_API_KEY to use a real provider.\n"
 "Simulated calls are priced at the configured model's list price and labeled everywhere."
)
TRACK_STATUS_COLORS = {"done": GOOD, "error": BAD, "blocked": BAD}
TIER_LABELS = {tier: f"{tier} ({TIER_ROLES[tier]})" for tier in TIER_NAMES}
TIER_CONFIG_COLUMNS = (
 ("Tier", imgui.TableColumnFlags_.width_fixed),
 ("Provider", imgui.TableColumnFlags_.width_fixed),
 ("Model", 0),
)
PROVIDER_COMBO_WIDTH = 95  # "anthropic" and "simulated" fit; the model gets the rest at 1280x720


def render_track_window(app) -> None:
 """`app` is the GuiApp: its controller, goal text, simulated flag and command methods.

 The track's status and whether it runs are read once, before any button acts, and hold for the frame.
 """
 status = app.controller.track_status
 active = app.controller.engine.running
 _simulated_note(app)
 _goal_input(app)
 _track_buttons(app, active)
 _resume_saved_button(app, active)
 _track_state(app, status, active)
 imgui.separator_text("Tiers")
 imgui.begin_disabled(active)
 _tier_table(app)
 imgui.end_disabled()


def _simulated_note(app) -> None:
 if not app.simulated_tiers:
  return
 imgui.text_colored(SIMULATED, "SIMULATED provider (offline)")
 hover_tooltip(SIMULATED_TOOLTIP)
 imgui.text_wrapped(app.simulated_note)


def _goal_input(app) -> None:
 imgui.text("Goal")
 width = imgui.get_content_region_avail().x
 _, app.goal = imgui.input_text_multiline("##goal", app.goal, imgui.ImVec2(width, imgui.get_text_line_height() * 4))


def _track_buttons(app, active: bool) -> None:
 for index, command in enumerate(TRACK_COMMANDS):
  if index:
   imgui.same_line()
  imgui.begin_disabled(not command.available(active))
  if imgui.button(command.button_label(app.controller.engine.mode)):
   command.run(app)
  imgui.end_disabled()


def _resume_saved_button(app, active: bool) -> None:
 if not app.resumable or active:
  return
 imgui.same_line()
 if imgui.button("Resume last track"):
  app.resume_saved_track()
 hover_tooltip(f"Resume track {app.resumable}: its unfinished tickets run again")


def _track_state(app, status: str, active: bool) -> None:
 controller = app.controller
 imgui.text_colored(TRACK_STATUS_COLORS.get(status, MUTED), f"Status: {status}")
 if controller.track_message:
  imgui.same_line()
  imgui.text_wrapped(controller.track_message)
 if app.error:
  imgui.text_colored(BAD, app.error)
 if active and controller.track is not None:
  imgui.text_disabled(app.view.ticket_summary)


def _tier_table(app) -> None:
 if not imgui.begin_table("tier_config", len(TIER_CONFIG_COLUMNS), imgui.TableFlags_.sizing_stretch_prop):
  return
 for label, flags in TIER_CONFIG_COLUMNS:
  imgui.table_setup_column(label, flags)
 for tier in TIER_NAMES:
  _tier_config_row(app, tier)
 imgui.end_table()


def _tier_config_row(app, tier: str) -> None:
 config = app.controller.config.tiers[tier]
 imgui.push_id(tier)
 imgui.table_next_row()
 imgui.table_set_column_index(0)
 imgui.text(TIER_LABELS[tier])
 imgui.table_set_column_index(1)
 _provider_combo(app, tier, config)
 imgui.table_set_column_index(2)
 _model_input(app, tier, config)
 imgui.pop_id()


def _provider_combo(app, tier: str, config: TierConfig) -> None:
 imgui.set_next_item_width(PROVIDER_COMBO_WIDTH)
 if not imgui.begin_combo("##provider", config.provider):
  return
 for provider in PROVIDERS:
  chosen, _ = imgui.selectable(provider, provider == config.provider)
  if chosen and provider != config.provider:
   app.set_tier(tier, switched_provider(tier, config, provider))
 imgui.end_combo()


def switched_provider(tier: str, config: TierConfig, provider: str) -> TierConfig:
 """`tier`'s settings after the user picks `provider`: never the other provider's model."""
 default = DEFAULT_TIERS[tier]
 if provider == default.provider:
  return default
 if provider in PROVIDER_DEFAULT_MODELS:
  return TierConfig(provider, PROVIDER_DEFAULT_MODELS[provider])
 return TierConfig(provider, config.model, config.escalation)


def _model_input(app, tier: str, config: TierConfig) -> None:
 imgui.set_next_item_width(-1)
 changed, model = imgui.input_text("##model", config.model)
 if changed and model.strip():
  app.set_tier(tier, TierConfig(config.provider, model.strip(), config.escalation))
 if config.escalation and imgui.is_item_hovered():
  imgui.set_tooltip("escalates to: " + " > ".join(config.escalation))
