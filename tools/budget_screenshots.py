"""Regenerate docs/budget_modal.png and docs/budget_bar.png: the real app at 1280x720 on the simulated provider,
with three budgets, paused by one of them (the dialog), then after the run (the bars, the badge, the alerts).

Run under a display, e.g. `xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/budget_screenshots.py`;
give a folder as the first argument to write the screenshots there instead of docs/.
Simulated calls cost fractions of a cent, so the budgets here are fractions of a cent too; no ledger is attached,
so the budgets count the simulated calls.
"""

import os
import sys
import tempfile
from pathlib import Path

from docs_screenshot import SIZE, yield_until  # tools/ is this script's folder, first on sys.path

ROOT = Path(__file__).resolve().parent.parent
GOAL = "Build a word counter CLI with tests"
PROJECT = """[simulated]
seed = 4
latency_ms = 30
reject_rate = 0.0

[[budgets.limits]]
period = "daily"
limit_usd = "0.004"
alert_at = "50%"
action = "warn"

[[budgets.limits]]
period = "monthly"
limit_usd = "0.05"
alert_at = "80%"
action = "warn"

[[budgets.limits]]
period = "run"
limit_usd = "0.005"
alert_at = "80%"
action = "pause"
"""


def main(argv: list[str]) -> int:
 from imgui_bundle import imgui
 from imgui_bundle.immapp import testing

 from mma_conductor.gui.app import build_runner_params

 folder = Path(argv[0]) if argv else ROOT / "docs"
 app = budget_app(Path(tempfile.mkdtemp(prefix="mma-budget-docs-")))
 controller = app.controller
 params, addons = build_runner_params(app, ini_disable=True)
 params.app_window_params.window_geometry.size = SIZE

 def scenario(ctx):
  app.goal = GOAL
  ctx.set_ref("//Track")
  ctx.item_click("**/Run (F5)")
  yield_until(ctx, lambda: controller.budget_hold is not None, 20_000)
  first = controller.budget_hold
  ctx.key_press(imgui.Key.o)  # the plan call goes; a later call is held: the bars have moved by then
  yield_until(ctx, lambda: controller.budget_hold not in (None, first), 20_000)
  ctx.mouse_move_to_pos(imgui.ImVec2(20, 700))  # no hover highlight on the dialog
  ctx.yield_(5)
  testing.capture(ctx, str(folder / "budget_modal.png"))
  ctx.key_press(imgui.Key.a)  # allow the rest of the run
  yield_until(ctx, lambda: not controller.engine.running, 20_000)
  ctx.yield_(5)
  testing.capture(ctx, str(folder / "budget_bar.png"))

 testing.run(test_function=scenario, runner_params=params, add_ons_params=addons)
 print(f"wrote {folder / 'budget_modal.png'} and {folder / 'budget_bar.png'}")
 return 0


def budget_app(project: Path):
 """A GuiApp on a fresh project in `project` (config and data inside it) with the budgets above."""
 from mma_conductor.app.controller import AppController
 from mma_conductor.gui.app import GuiApp

 os.environ["MMA_CONDUCTOR_CONFIG_DIR"] = str(project / "config")
 os.environ["MMA_CONDUCTOR_DATA_DIR"] = str(project / "data")
 (project / "mma_conductor.toml").write_text(PROJECT)
 return GuiApp(AppController(project, persist=False))


if __name__ == "__main__":
 sys.exit(main(sys.argv[1:]))
