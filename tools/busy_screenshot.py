"""A screenshot of the real app with a busy session: 200 models and 100,000 calls over about 80 minutes, the
Cost Analytics window scrolled to its charts (under the 200 models' rows), to check the decimated cost chart.

Run under a display, e.g. `xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/busy_screenshot.py
/tmp/busy.png` (the path is required: this is a check, not a docs image).
"""

import os
import sys
import tempfile
import time
from pathlib import Path

SIZE = (1280, 720)
MODELS = 200
CALLS = 100_000
PROVIDERS = ("gemini", "anthropic", "deepseek", "openai", "in-house")
TIERS = ("Tier 1", "Tier 2", "Tier 3", "Tier 4")


def main(argv: list[str]) -> int:
 from imgui_bundle.immapp import testing

 from mma_conductor.gui.app import build_runner_params

 target = Path(argv[0])
 app = busy_app(tempfile.mkdtemp(prefix="mma-busy-"))
 params, addons = build_runner_params(app, ini_disable=True)
 params.app_window_params.window_geometry.size = SIZE

 def scenario(ctx):
  ctx.yield_(3)
  ctx.scroll_to_bottom("//Cost Analytics")
  ctx.yield_(3)
  testing.capture(ctx, str(target))

 testing.run(test_function=scenario, runner_params=params, add_ons_params=addons)
 print(f"wrote {target}: {len(app.controller.cost_timeline):,} calls, {len(app.view.cost.timeline_x):,} points plotted")
 return 0


def busy_app(project: str):
 """A GuiApp whose session holds CALLS calls of MODELS models, one every 50 ms, ending now."""
 from mma_conductor.app.controller import AppController
 from mma_conductor.gui.app import GuiApp

 os.environ["MMA_CONDUCTOR_CONFIG_DIR"] = str(Path(project, "config"))
 os.environ["MMA_CONDUCTOR_DATA_DIR"] = str(Path(project, "data"))
 controller = AppController(project, persist=False)
 start = time.time() - CALLS * 0.05
 for chunk in range(0, CALLS, 2000):
  for n in range(chunk, min(chunk + 2000, CALLS)):
   controller.post(busy_call(controller, n, start + n * 0.05))
  controller.drain_pending()
 return GuiApp(controller)


def busy_call(controller, n: int, timestamp: float):
 from mma_conductor.engine.events import CallRecord
 from mma_conductor.pricing.usage import Usage

 model = n % MODELS
 usage = Usage(1000 + n % 700, 100 + n % 90)
 # costs that vary in bursts, so that the cumulative line has a shape to keep
 rate = 1 + (n // 5000) % 4 * 3
 return CallRecord(
  session_id=controller.costs.session_id,
  track_id="busy",
  ticket_id=f"t{n % 50}",
  tier=TIERS[model % 4],
  role="worker",
  provider=PROVIDERS[model % len(PROVIDERS)],
  model=f"model-{model:03d}",
  usage=usage,
  cost_units=(usage.input_tokens + 4 * usage.output_tokens) * rate * 10**8,
  latency_s=0.0,
  request_id=f"busy-{n}",
  status="success",
  timestamp=timestamp,
 )


if __name__ == "__main__":
 sys.exit(main(sys.argv[1:]))
