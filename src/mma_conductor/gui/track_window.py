"""The Track window: the goal, Run / Pause / Step / Stop, and each tier's provider and model."""

from __future__ import annotations

from imgui_bundle import imgui

from ..app.project_config import PROVIDERS, TierConfig
from ..pricing.tiers import TIER_NAMES, TIER_ROLES
from .style import BAD, GOOD, MUTED, SIMULATED

ACTIVE = ("starting", "planning", "running", "paused", "step")


def render_track_window(app) -> None:
 """`app` is the GuiApp: its controller, goal text, simulated flag and command methods."""
 controller = app.controller
 status = controller.track_status
 active = controller.engine.running
 if app.simulated_tiers:
  imgui.text_colored(SIMULATED, "SIMULATED provider (offline)")
  if imgui.is_item_hovered():
   imgui.set_tooltip(
    "Set GEMINI_API_KEY, ANTHROPIC_API_KEY, OPENAI_API_KEY or DEEPSEEK_API_KEY to use a real provider.\n"
    "Simulated calls are priced at the configured model's list price and labeled everywhere."
   )
  imgui.text_wrapped(f"{', '.join(app.simulated_tiers)}: no API key found, so these tiers run offline.")
 imgui.text("Goal")
 width = imgui.get_content_region_avail().x
 _, app.goal = imgui.input_text_multiline("##goal", app.goal, imgui.ImVec2(width, imgui.get_text_line_height() * 4))
 imgui.begin_disabled(active)
 if imgui.button("Run (F5)"):
  app.run_track()
 imgui.end_disabled()
 imgui.same_line()
 imgui.begin_disabled(not active)
 paused = controller.engine.mode in ("paused", "step")
 if imgui.button("Resume (F6)" if paused else "Pause (F6)"):
  app.toggle_pause()
 imgui.same_line()
 if imgui.button("Step (F10)"):
  controller.step()
 imgui.same_line()
 if imgui.button("Stop (Shift+F5)"):
  controller.stop()
 imgui.end_disabled()
 if app.resumable and not active:
  imgui.same_line()
  if imgui.button(f"Resume track {app.resumable}"):
   app.resume_saved_track()
 color = GOOD if status == "done" else BAD if status in ("error", "blocked") else MUTED
 imgui.text_colored(color, f"Status: {status}")
 if controller.track_message:
  imgui.same_line()
  imgui.text_wrapped(controller.track_message)
 if app.error:
  imgui.text_colored(BAD, app.error)
 if active and controller.track is not None:
  imgui.text_disabled(app.view.ticket_summary)

 imgui.separator_text("Tiers")
 imgui.begin_disabled(active)
 if imgui.begin_table("tier_config", 3, imgui.TableFlags_.sizing_stretch_prop):
  imgui.table_setup_column("Tier", imgui.TableColumnFlags_.width_fixed)
  imgui.table_setup_column("Provider", imgui.TableColumnFlags_.width_fixed)
  imgui.table_setup_column("Model")
  for tier in TIER_NAMES:
   _tier_config_row(app, tier)
  imgui.end_table()
 imgui.end_disabled()


def _tier_config_row(app, tier: str) -> None:
 config = app.controller.config.tiers[tier]
 imgui.push_id(tier)
 imgui.table_next_row()
 imgui.table_set_column_index(0)
 imgui.text(f"{tier} ({TIER_ROLES[tier]})")
 imgui.table_set_column_index(1)
 imgui.set_next_item_width(110)
 if imgui.begin_combo("##provider", config.provider):
  for provider in PROVIDERS:
   chosen, _ = imgui.selectable(provider, provider == config.provider)
   if chosen and provider != config.provider:
    app.set_tier(tier, TierConfig(provider, config.model, config.escalation))
  imgui.end_combo()
 imgui.table_set_column_index(2)
 imgui.set_next_item_width(-1)
 changed, model = imgui.input_text("##model", config.model)
 if changed and model.strip():
  app.set_tier(tier, TierConfig(config.provider, model.strip(), config.escalation))
 if config.escalation and imgui.is_item_hovered():
  imgui.set_tooltip("escalates to: " + " > ".join(config.escalation))
 imgui.pop_id()
