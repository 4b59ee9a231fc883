"""Regenerate docs/screenshot.png: the real app on the simulated provider, after a 12-ticket track.

Run under a display, e.g. `xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/docs_screenshot.py`.
"""

import dataclasses
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
 from imgui_bundle.immapp import testing

 from mma_conductor.app.controller import AppController
 from mma_conductor.app.ledger_link import connect_ledger
 from mma_conductor.app.project_config import SimulatedConfig, load_project_config
 from mma_conductor.gui.app import GuiApp, build_runner_params

 project = tempfile.mkdtemp(prefix="mma-docs-")
 os.environ["MMA_CONDUCTOR_CONFIG_DIR"] = str(Path(project, "config"))
 os.environ["MMA_CONDUCTOR_DATA_DIR"] = str(Path(project, "data"))
 config = load_project_config(project)
 config = dataclasses.replace(config, simulated=SimulatedConfig(seed=2, latency_ms=30, reject_rate=0.3))
 controller = AppController(project, config=config)
 connect_ledger(controller, project, serve_api=False)
 app = GuiApp(controller)
 params, addons = build_runner_params(app, ini_disable=True)
 target = ROOT / "docs" / "screenshot.png"

 def scenario(ctx):
  app.goal = "Build a static site generator with templates, a dev server and tests, in 12 tickets"
  ctx.set_ref("//Track")
  ctx.item_click("**/Run (F5)")
  for _ in range(20_000):
   if not controller.engine.running:
    break
   ctx.yield_(1)
  for _ in range(200):  # the history figures follow the ledger writer by about a second
   ctx.yield_(1)
   if controller.history and controller.history.all_time_calls == controller.session().total.calls:
    break
  ctx.yield_(5)
  testing.capture(ctx, str(target))

 testing.run(test_function=scenario, runner_params=params, add_ons_params=addons)
 print(f"wrote {target}")
 return 0


if __name__ == "__main__":
 sys.exit(main())
