"""Render functions in a headless imgui context (no window). What they draw is read back through Dear
ImGui's own text logging; what the Copy buttons copy, through the clipboard."""

import gc
import time

import pytest
from imgui_bundle import imgui
from imgui_tables import model_row_cells, table_rows
from waiting import wait_for

from mma_conductor.app.controller import AppController
from mma_conductor.app.cost_timeline import CostTimeline
from mma_conductor.cost_tracker import usage_cost_units
from mma_conductor.engine.events import CallRecord
from mma_conductor.gui.app import GuiApp, settle_interpreter
from mma_conductor.gui.cost_panel import render_cost_panel
from mma_conductor.gui.cost_view import build_cost_view
from mma_conductor.gui.dashboard import render_ticket_list, render_tier_table
from mma_conductor.gui.headless_context import headless_imgui
from mma_conductor.gui.log_windows import render_comms_log, render_tier_streams
from mma_conductor.gui.track_window import render_track_window
from mma_conductor.pricing.book import PriceBook
from mma_conductor.pricing.money import UNITS_PER_USD, format_usd, format_usd_auto
from mma_conductor.pricing.session_costs import SessionCosts
from mma_conductor.pricing.usage import Usage


@pytest.fixture
def imgui_context():
 with headless_imgui(1400, 900):
  yield


class PanelRequests:
 def __init__(self):
  self.want_reset = False
  self.copy_costs = False
  self.history_line = ""


def draw(body, frames=3):
 """Run `body` in a window for a few frames; return the text it drew on the last one."""
 for frame in range(frames):
  imgui.new_frame()
  imgui.set_next_window_size(imgui.ImVec2(1300, 850))
  imgui.begin("Test window")
  last = frame == frames - 1
  if last:
   imgui.log_to_clipboard()
  body()
  if last:
   imgui.log_finish()
  imgui.end()
  imgui.render()
 return imgui.get_clipboard_text()


def sample_costs() -> SessionCosts:
 costs = SessionCosts(PriceBook(use_dataset=False))
 costs.record("gemini-2.5-pro", Usage(12_000, 900), tier="Tier 1", agent="orchestrator")
 costs.record("gemini-2.5-flash", Usage(3_000, 400, cache_read_tokens=1_000), tier="Tier 2", agent="tech-lead")
 costs.record("gemini-2.5-flash-lite", Usage(5_000, 1_200), tier="Tier 3", agent="worker")
 costs.record("gemini-2.5-flash", Usage(5_500, 1_300), tier="Tier 3", agent="worker")
 costs.record("claude-sonnet-4-5", Usage(8_000, 600, cache_write_tokens=2_000), tier="Tier 4", agent="qa")
 costs.record("deepseek-chat", Usage(2_000, 100), tier="Tier 4", agent="qa")
 costs.record("gpt-4o", Usage(1_000, 50), tier="Tier 2", agent="tech-lead")
 costs.record("in-house-model-x", Usage(700, 70), tier="Tier 3", agent="worker")
 return costs


def test_cost_panel_rows_equal_the_accumulators(imgui_context):
 costs = sample_costs()
 snap = costs.snapshot()
 view = build_cost_view(snap, CostTimeline())
 text = draw(lambda: render_cost_panel(view, PanelRequests()))
 assert f"Session total: {snap.total.cost_label}" in text
 assert "8 calls" in text
 rows = table_rows(text)
 tiers = {r[0]: r for r in rows if r[0].startswith("Tier ")}
 for tier in ("Tier 1", "Tier 2", "Tier 3", "Tier 4"):
  figures = snap.tier(tier)
  assert tiers[tier][1] == figures.cost_label
  assert tiers[tier][2] == f"{figures.total_tokens:,}"
 model_rows = {r[0]: r for r in rows if len(r) == 5}
 for figures in snap.by_model:
  assert model_rows[figures.key][1:] == model_row_cells(figures)
 # provider subtotals, in the panel's provider order, sum their models exactly
 titles = [r[0] for r in rows if r[0] in ("Gemini", "Anthropic", "DeepSeek", "OpenAI", "Other")]
 assert titles == ["Gemini", "Anthropic", "DeepSeek", "OpenAI", "Other"]
 gemini_units = sum(f.cost_units for f in snap.by_model if f.provider == "gemini")
 assert model_rows["Gemini"][4] == format_usd_auto(gemini_units)
 # an unknown model reads "unpriced", never $0.00
 assert model_rows["in-house-model-x"][4] == "unpriced"
 assert model_rows["Other"][4] == "unpriced"
 assert tiers["Tier 3"][1].endswith("+ unpriced")
 assert "Unpriced (tokens counted, no price): in-house-model-x" in text


def test_tier_table_est_cost_column_and_total(imgui_context):
 costs = sample_costs()
 snap = costs.snapshot()
 view = build_cost_view(snap, CostTimeline())
 rows = table_rows(draw(lambda: render_tier_table(view)))
 assert rows[0] == ["Tier", "Model", "Input", "Output", "Cached", "Est. Cost"]
 body = {r[0]: r for r in rows[1:]}
 assert body["Tier 3"][1] == "gemini-2.5-flash, gemini-2.5-flash-lite, in-house-model-x"
 assert body["Tier 2"][4] == "1,000"
 for tier in ("Tier 1", "Tier 2", "Tier 3", "Tier 4"):
  assert body[tier][5] == snap.tier(tier).cost_label
 total = body["Total"]
 assert total[2] == f"{snap.total.input_tokens:,}" and total[5] == snap.total.cost_label


def test_empty_session_shows_zero_and_no_calls(imgui_context):
 view = build_cost_view(SessionCosts(PriceBook(use_dataset=False)).snapshot(), CostTimeline())
 text = draw(lambda: render_cost_panel(view, PanelRequests()))
 assert "Session total: $0.00" in text and "No calls yet this session." in text
 rows = table_rows(draw(lambda: render_tier_table(view)))
 assert [r[5] for r in rows[1:]] == ["$0.00"] * 5


def test_collapsed_header_draws_nothing_else(imgui_context):
 view = build_cost_view(sample_costs().snapshot(), CostTimeline())

 def collapsed():
  imgui.set_next_item_open(False)
  render_cost_panel(view, PanelRequests())

 text = draw(collapsed)
 assert "Cost Analytics" in text and "Session total" not in text


def test_reset_button_raises_the_request(imgui_context):
 # Clicking needs the Test Engine (live tests); here: the request flag starts lowered and the panel
 # keeps drawing the button every frame.
 requests = PanelRequests()
 view = build_cost_view(sample_costs().snapshot(), CostTimeline())
 text = draw(lambda: render_cost_panel(view, requests))
 assert "[ Reset Session ]" in text and not requests.want_reset


def test_view_cache_rebuilds_only_on_change_and_windows_draw(imgui_context, tmp_path):
 controller = AppController(tmp_path, persist=False)
 app = GuiApp(controller)
 cache = app.view
 first = cache.cost
 cache.refresh()
 assert cache.cost is first and cache.rebuilds == 0
 record = CallRecord(
  session_id=controller.costs.session_id,
  track_id="t",
  ticket_id="T1",
  tier="Tier 3",
  role="worker",
  provider="gemini",
  model="gemini-2.5-flash",
  usage=Usage(1000, 200),
  cost_units=usage_cost_units("gemini-2.5-flash", Usage(1000, 200)),
  latency_s=0.5,
  request_id="r1",
  status="success",
 )
 controller.post(record)
 app.pre_frame()
 assert cache.rebuilds == 1 and cache.cost is not first
 assert cache.cost.total_cost == controller.session().total.cost_label
 again = cache.cost
 app.pre_frame()
 app.pre_frame()
 assert cache.cost is again and cache.rebuilds == 1
 assert cache.call_count == 1 and cache.call_row(0).cost == format_usd(record.cost_units, 6)
 text = draw(lambda: render_comms_log(cache))
 rows = table_rows(text)
 assert rows[1][1:6] == ["Tier 3", "T1", "gemini-2.5-flash", "1,000 / 200", cache.call_row(0).cost]
 draw(lambda: render_tier_streams(cache))
 draw(lambda: render_ticket_list(cache.tickets))
 assert "No tickets yet" in draw(lambda: render_ticket_list(()))
 # the status badge follows the session total
 assert cache.cost.badge == f"Session {controller.session().total.cost_label}"


def test_history_from_the_ledger_shows_beside_the_session(imgui_context, tmp_path):
 from mma_conductor.app.ledger_link import HistoryUpdate, LedgerProblem
 from mma_conductor.ledger.queries import Figures

 controller = AppController(tmp_path, persist=False)
 app = GuiApp(controller)
 controller.post(
  HistoryUpdate(Figures("today", 1_230_000_000_000_000, 40), Figures("all", 45_670_000_000_000_000, 1234))
 )
 app.pre_frame()
 text = draw(lambda: render_cost_panel(app.view.cost, app))
 assert "History: today $1.23 (40 calls)  |  all time $45.67 (1,234 calls)" in text
 controller.post(LedgerProblem("disk full"))
 app.pre_frame()
 assert "History: disk full" in draw(lambda: render_cost_panel(app.view.cost, app))


def test_a_stopped_track_can_be_resumed_at_once(imgui_context, tmp_path):
 (tmp_path / "mma_conductor.toml").write_text("[simulated]\nseed = 4\nlatency_ms = 300\nreject_rate = 0.0\n")
 controller = AppController(tmp_path)
 app = GuiApp(controller)
 assert app.resumable == ""
 track = controller.start_track("Build a word counter")
 assert wait_for(controller, lambda: len(controller.call_log) >= 1)
 controller.stop()
 assert controller.wait_idle(30) and controller.track_status == "stopped"
 assert app.resumable == track.id  # offered now, not only after a restart
 text = draw(lambda: render_track_window(app))
 assert "Resume last track" in text
 app.resume_saved_track()
 assert controller.wait_idle(60) and controller.track_status == "done"
 assert controller.track.id == track.id and app.resumable == ""


@pytest.mark.parametrize(
 ("broken", "prices_used"),
 [("project", "the built-in prices and your user pricing file"), ("user", "the built-in prices only")],
)
def test_a_broken_pricing_file_opens_the_app_with_the_good_prices_and_says_so(
 imgui_context, tmp_path, broken, prices_used
):
 user_file = tmp_path / "config" / "pricing.toml"  # conftest points MMA_CONDUCTOR_CONFIG_DIR here
 user_file.parent.mkdir()
 user_file.write_text('[models.gpt-4o]\ninput = "3"\noutput = "12"\n')
 bad = {"project": tmp_path / "mma_pricing.toml", "user": user_file}[broken]
 bad.write_text("[models.gpt-4o\ninput = 1\n")
 controller = AppController(tmp_path)
 app = GuiApp(controller)
 assert app.error.startswith(f"prices: {bad}: invalid TOML") and app.error.endswith(
  f"using {prices_used} until it is fixed"
 )
 expected_input = "3" if broken == "project" else "2.50"  # the user's good file still applies; else built-ins
 assert str(controller.price_book.price("gpt-4o").input) == expected_input
 assert any(event.level == "error" and event.message == app.error for event in drained_log(controller))
 assert app.error in draw(lambda: render_track_window(app))


def drained_log(controller):
 controller.drain_pending()
 return list(controller.log)


def test_reset_clears_what_the_windows_show_and_ticket_costs_add_up_to_the_session(imgui_context, tmp_path):
 (tmp_path / "mma_conductor.toml").write_text("[simulated]\nseed = 4\nlatency_ms = 200\nreject_rate = 0.0\n")
 controller = AppController(tmp_path)
 app = GuiApp(controller)
 track = controller.start_track("Build a word counter")
 assert wait_for(controller, lambda: any(c.ticket_id for c in controller.call_log))
 controller.stop()
 assert controller.wait_idle(30)
 app.pre_frame()
 plan_units = controller.session().tier("Tier 1").cost_units
 assert plan_units + sum(controller.ticket_costs.values()) == controller.session().total.cost_units
 controller.reset_session()
 app.pre_frame()
 assert app.view.call_count == 0 and "gemini" not in draw(lambda: render_comms_log(app.view))
 assert all(row.cost == "-" for row in app.view.tickets) and app.view.tickets
 # A resumed track in the new session: the tickets' costs are this session's, so they add up to its total.
 controller.resume_track(track.id)
 assert controller.wait_idle(60) and controller.track_status == "done"
 app.pre_frame()
 assert sum(controller.ticket_costs.values()) == controller.session().total.cost_units > 0
 shown = {row.id: row.cost for row in app.view.tickets}
 assert all(shown[t] == format_usd_auto(units) for t, units in controller.ticket_costs.items() if units)


@pytest.mark.parametrize("provider", ["anthropic", "openai", "deepseek"])
def test_switching_a_tiers_provider_picks_that_providers_default_model(provider):
 from mma_conductor.app.project_config import PROVIDER_DEFAULT_MODELS, TierConfig
 from mma_conductor.gui.track_window import switched_provider

 gemini = TierConfig("gemini", "gemini-2.5-flash-lite", ("gemini-2.5-flash", "gemini-2.5-pro"))
 switched = switched_provider("Tier 3", gemini, provider)
 assert switched == TierConfig(provider, PROVIDER_DEFAULT_MODELS[provider])
 assert PriceBook(use_dataset=False).price(switched.model) is not None  # a model the price table knows
 # back to the tier's default provider: the tier's default model and escalation ladder again
 assert switched_provider("Tier 3", switched, "gemini") == gemini
 # the offline provider accepts any name and prices it at that model's list price: the model stays
 assert switched_provider("Tier 3", switched, "simulated").model == switched.model


def test_the_goal_is_empty_error_goes_once_a_goal_is_typed(imgui_context, tmp_path):
 app = GuiApp(AppController(tmp_path, persist=False))
 app.goal = "  "
 app.run_track()
 assert "goal is empty" in draw(lambda: render_track_window(app))
 app.goal = "Build a word counter"
 app.pre_frame()
 assert "goal is empty" not in draw(lambda: render_track_window(app))


def run_frames(body, frames=1):
 """Run `body` in a window for a few frames without logging what it draws (the clipboard stays as set)."""
 for _ in range(frames):
  imgui.new_frame()
  imgui.set_next_window_size(imgui.ImVec2(1300, 850))
  imgui.begin("Test window")
  body()
  imgui.end()
  imgui.render()


def test_copy_puts_only_the_panels_figures_on_the_clipboard_and_says_copied(imgui_context):
 snap = sample_costs().snapshot()
 view = build_cost_view(snap, CostTimeline())
 requests = PanelRequests()
 requests.history_line = "History: today $1.23 (40 calls)"
 run_frames(lambda: render_cost_panel(view, requests), 2)
 imgui.set_clipboard_text("")
 requests.copy_costs = True
 run_frames(lambda: render_cost_panel(view, requests))
 copied = imgui.get_clipboard_text()
 assert not requests.copy_costs
 for chrome in ("[ Copy ]", "Reset Session", "Copy the panel", "Charts", "Cost Analytics", "copied"):
  assert chrome not in copied
 assert f"Session total: {snap.total.cost_label}" in copied and "History: today $1.23 (40 calls)" in copied
 rows = table_rows(copied)
 assert rows[0] == ["Tier", "Cost", "Tokens", "Share"]
 by_name = {r[0]: r for r in rows}
 for figures in snap.by_model:
  assert by_name[figures.key][1:] == model_row_cells(figures)
 assert "copied" in draw(lambda: render_cost_panel(view, requests))  # the feedback beside the button
 for _ in range(200):  # ~3.3 s of 60 fps frames: the feedback has gone
  run_frames(lambda: render_cost_panel(view, requests))
 assert "copied" not in draw(lambda: render_cost_panel(view, requests))


def test_copy_table_puts_only_the_tier_table_on_the_clipboard(imgui_context, tmp_path):
 controller = AppController(tmp_path, persist=False)
 app = GuiApp(controller)
 run_frames(app.dashboard_window, 2)
 imgui.set_clipboard_text("")
 app.copy_tiers = True
 run_frames(app.dashboard_window)
 copied = imgui.get_clipboard_text()
 assert "Copy table" not in copied and "Tickets" not in copied and "No tickets yet" not in copied
 rows = table_rows(copied)
 assert rows[0] == ["Tier", "Model", "Input", "Output", "Cached", "Est. Cost"] and len(rows) == 6
 assert "copied" in draw(app.dashboard_window)


def test_empty_charts_say_no_calls_yet(imgui_context):
 view = build_cost_view(SessionCosts(PriceBook(use_dataset=False)).snapshot(), CostTimeline())
 text = draw(lambda: render_cost_panel(view, PanelRequests()))
 assert text.count("no calls yet") == 2  # both charts, instead of an empty plot with a 0.4999..0.5 axis


def test_cost_over_time_is_on_the_clock_and_fits_the_calls_with_margins():
 costs = sample_costs()
 snap = costs.snapshot()
 first = snap.started_at + 600  # the first call ten minutes after the app started
 cent = UNITS_PER_USD // 100
 timeline = CostTimeline()
 for at, added in ((first, 1 * cent), (first + 30, 4 * cent), (first + 90, 4 * cent)):
  timeline.append(at, added)
 view = build_cost_view(snap, timeline)
 assert view.timeline_x[0] == first and view.timeline_x[-1] == first + 90  # Unix seconds, from the first call
 x0, x1, y0, y1 = view.timeline_limits
 assert y0 == 0
 assert first - 30 < x0 < first and first + 90 < x1 < first + 120  # the last point is off the border
 assert view.timeline_y[-1] < y1 < 1.3 * view.timeline_y[-1]
 low, high = view.share_limits
 assert low == 0 and max(view.share_values) < high <= 1.2 * max(view.share_values)
 single = CostTimeline()
 single.append(first, 1_000)
 one = build_cost_view(snap, single)  # one call: still a visible span around it
 assert one.timeline_limits[0] < first < one.timeline_limits[1]


def test_the_gui_process_keeps_start_up_objects_out_of_garbage_collections():
 try:
  settle_interpreter()
  assert gc.get_freeze_count() > 0
 finally:
  gc.unfreeze()


def test_a_comms_log_row_shows_the_calls_local_clock_time(imgui_context, tmp_path):
 controller = AppController(tmp_path, persist=False)
 app = GuiApp(controller)
 stamps = (1_700_000_000.25, 1_700_000_000.75, 1_700_003_661.5)
 for n, stamp in enumerate(stamps):
  controller.post(
   CallRecord(
    session_id=controller.costs.session_id,
    track_id="t",
    ticket_id="",
    tier="Tier 3",
    role="worker",
    provider="openai",
    model="gpt-4o",
    usage=Usage(10, 1),
    cost_units=None,
    latency_s=0.0,
    request_id=f"r{n}",
    status="success",
    timestamp=stamp,
   )
  )
 app.pre_frame()
 shown = [app.view.call_row(index).time for index in range(app.view.call_count)]
 assert shown == [time.strftime("%H:%M:%S", time.localtime(stamp)) for stamp in stamps]
