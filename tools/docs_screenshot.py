"""Regenerate docs/screenshot.png: the real app on the simulated provider, after a 12-ticket track.

Run under a display, e.g. `xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/docs_screenshot.py`;
give a path as the first argument to write the screenshot there instead.
"""

import dataclasses
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1280, 720)  # the size the README's screenshots are taken at
GOAL = "Build a static site generator with templates, a dev server and tests, in 12 tickets"


def main(argv: list[str]) -> int:
 from imgui_bundle.immapp import testing

 from mma_conductor.gui.app import build_runner_params

 target = Path(argv[0]) if argv else ROOT / "docs" / "screenshot.png"
 app = simulated_app(tempfile.mkdtemp(prefix="mma-docs-"))
 params, addons = build_runner_params(app, ini_disable=True)
 params.app_window_params.window_geometry.size = SIZE

 def scenario(ctx):
  run_track(ctx, app)
  ctx.yield_(5)
  testing.capture(ctx, str(target))

 testing.run(test_function=scenario, runner_params=params, add_ons_params=addons)
 print(f"wrote {target}")
 return 0


def simulated_app(project: str):
 """A GuiApp on a fresh project in `project` (config and data inside it), simulated provider, ledger attached."""
 from mma_conductor.app.controller import AppController
 from mma_conductor.app.ledger_link import connect_ledger
 from mma_conductor.app.project_config import SimulatedConfig, load_project_config
 from mma_conductor.gui.app import GuiApp

 os.environ["MMA_CONDUCTOR_CONFIG_DIR"] = str(Path(project, "config"))
 os.environ["MMA_CONDUCTOR_DATA_DIR"] = str(Path(project, "data"))
 config = load_project_config(project)
 config = dataclasses.replace(config, simulated=SimulatedConfig(seed=2, latency_ms=30, reject_rate=0.3))
 controller = AppController(project, config=config)
 connect_ledger(controller, project, serve_api=False)
 return GuiApp(controller)


def run_track(ctx, app) -> None:
 """Type the goal, press Run, wait for the track to end and for the history figures to catch up."""
 controller = app.controller
 app.goal = GOAL
 ctx.set_ref("//Track")
 ctx.item_click("**/Run (F5)")
 yield_until(ctx, lambda: not controller.engine.running, 20_000)
 ctx.yield_(1)  # the history figures follow the ledger writer by about a second
 yield_until(ctx, lambda: history_caught_up(controller), 199)


def history_caught_up(controller) -> bool:
 """The ledger's all-time figures include every call of this session."""
 history = controller.history
 return bool(history) and history.all_time.calls == controller.session().total.calls


def yield_until(ctx, done, frames: int) -> None:
 """Let frames pass until `done()`, at most `frames` of them."""
 for _ in range(frames):
  if done():
   return
  ctx.yield_(1)


if __name__ == "__main__":
 sys.exit(main(sys.argv[1:]))
