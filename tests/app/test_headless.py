"""`mma-conductor run`: progress per tier, a final cost table, and exit codes."""

import io
import re
import signal
import subprocess
import sys

from mma_conductor.app.controller import AppController
from mma_conductor.app.headless import EXIT_BLOCKED, EXIT_DONE, run_headless


def project(tmp_path, reject_rate=0.0):
 (tmp_path / "mma_conductor.toml").write_text(f"[simulated]\nseed = 4\nlatency_ms = 0\nreject_rate = {reject_rate}\n")
 return tmp_path


def test_run_prints_progress_and_a_cost_table_that_matches_the_session(tmp_path):
 out = io.StringIO()
 controller = AppController(project(tmp_path))
 code = run_headless("Build a word counter CLI", tmp_path, out=out, controller=controller)
 text = out.getvalue()
 assert code == EXIT_DONE
 snap = controller.session()
 assert re.search(r"^\[Tier 1\] plan\s+gemini-2\.5-pro \(simulated\): [\d,]+ in / [\d,]+ out, \$", text, re.M)
 assert "[Tier 4]" in text and "ticket T1 done" in text
 total_line = next(line for line in text.splitlines() if line.startswith("Total"))
 assert total_line.split()[-1] == snap.total.cost_label
 assert f"{snap.total.input_tokens:,}" in total_line
 for tier in ("Tier 1", "Tier 2", "Tier 3", "Tier 4"):
  line = next(line for line in text.splitlines() if line.startswith(tier + " "))
  assert line.split()[-1] == snap.tier(tier).cost_label
 for figures in snap.by_model:
  line = next(line for line in text.splitlines() if line.startswith(figures.key + " "))
  assert "simulated" in line and line.split()[-1] == figures.cost_label


def test_blocked_tickets_exit_3(tmp_path):
 out = io.StringIO()
 code = run_headless("Build a parser", project(tmp_path, reject_rate=1.0), out=out)
 assert code == EXIT_BLOCKED
 assert "blocked (QA rejected 3 attempts" in out.getvalue()


def test_cli_run_needs_a_goal_and_resume_works(tmp_path):
 env_project = project(tmp_path)
 result = subprocess.run(
  [sys.executable, "-m", "mma_conductor.cli", "--project", str(env_project), "run"],
  capture_output=True,
  text=True,
 )
 assert result.returncode == 2 and "needs --goal" in result.stderr
 result = subprocess.run(
  [sys.executable, "-m", "mma_conductor.cli", "--project", str(env_project), "run", "--goal", "Tiny tool", "--quiet"],
  capture_output=True,
  text=True,
  timeout=120,
 )
 assert result.returncode == 0, result.stderr
 assert "Total" in result.stdout and "[Tier 1]" not in result.stdout
 track_id = re.search(r"track (\S+) done", result.stdout).group(1)
 again = subprocess.run(
  [sys.executable, "-m", "mma_conductor.cli", "--project", str(env_project), "run", "--resume", track_id],
  capture_output=True,
  text=True,
  timeout=120,
 )
 assert again.returncode == 0 and f"track {track_id} done" in again.stdout
 missing = subprocess.run(
  [sys.executable, "-m", "mma_conductor.cli", "--project", str(env_project), "run", "--resume", "nope"],
  capture_output=True,
  text=True,
 )
 assert missing.returncode == 1 and "no such track" in missing.stderr


def test_gui_without_a_display_says_how_to_run_in_one_line(tmp_path):
 env = {k: v for k, v in __import__("os").environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
 result = subprocess.run(
  [sys.executable, "-m", "mma_conductor.cli", "--project", str(tmp_path)], capture_output=True, text=True, env=env
 )
 assert result.returncode == 2
 lines = result.stderr.strip().splitlines()
 assert len(lines) == 1 and "xvfb-run -a mma-conductor" in lines[0] and "mma-conductor run --goal" in lines[0]


def test_ctrl_c_stops_the_run_and_says_how_to_resume_it(tmp_path):
 (tmp_path / "mma_conductor.toml").write_text("[simulated]\nseed = 4\nlatency_ms = 400\nreject_rate = 0.0\n")
 cli = [sys.executable, "-u", "-m", "mma_conductor.cli", "--project", str(tmp_path)]
 command = [*cli, "run", "--goal", "Word counter"]
 run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
 first = run.stdout.readline()  # "track ID: goal", printed once the run has started
 track_id = re.match(r"track (\S+): ", first).group(1)
 while "[Tier 1]" not in run.stdout.readline():  # wait until a call was made (the plan)
  pass
 run.send_signal(signal.SIGINT)  # what Ctrl-C sends
 rest = run.communicate(timeout=120)[0]
 assert run.returncode == 130, rest
 assert f"track {track_id} stopped" in rest
 assert rest.rstrip().endswith(f"resume it with: mma-conductor run --resume {track_id}")
 (tmp_path / "mma_conductor.toml").write_text("[simulated]\nseed = 4\nlatency_ms = 0\nreject_rate = 0.0\n")
 resumed = subprocess.run([*cli, "run", "--resume", track_id], capture_output=True, text=True, timeout=120)
 assert resumed.returncode == 0 and f"track {track_id} done" in resumed.stdout, resumed.stdout + resumed.stderr


def test_cli_resume_refuses_an_id_that_is_a_path(tmp_path):
 outside = tmp_path / "project" / ".mma" / "x.toml"  # what .mma/tracks/../x.toml names
 (outside.parent / "tracks").mkdir(parents=True)
 env_project = project(tmp_path / "project")
 outside.write_text('[track]\nid = "x"\ngoal = "Tiny tool"\nstatus = "stopped"\n')
 before = outside.read_text()
 for track_id in ("../x", str(tmp_path / "project" / ".mma" / "x"), "../../../elsewhere"):
  result = subprocess.run(
   [sys.executable, "-m", "mma_conductor.cli", "--project", str(env_project), "run", "--resume", track_id],
   capture_output=True,
   text=True,
   timeout=120,
  )
  assert result.returncode == 1 and result.stdout == ""
  assert result.stderr.startswith(f"mma-conductor: track id {track_id!r}: ") and result.stderr.count("\n") == 1
 assert outside.read_text() == before and not (tmp_path / "elsewhere.toml").exists()


def test_control_characters_from_names_and_goals_are_shown_escaped_never_sent_to_the_terminal(tmp_path):
 # A model name (as a provider or a config may report it) and a goal carrying terminal escape sequences.
 (tmp_path / "mma_conductor.toml").write_text(
  '[simulated]\nseed = 4\nlatency_ms = 0\nreject_rate = 0.0\n[tiers.tier1]\nmodel = "gemini-2.5-pro\\u001b[2J"\n'
 )
 out = io.StringIO()
 assert run_headless("Word counter\x1b]0;owned\x07", tmp_path, out=out, controller=AppController(tmp_path)) == 0
 text = out.getvalue()
 assert "\x1b" not in text and "\x07" not in text
 assert "gemini-2.5-pro\\x1b[2J" in text and "Word counter\\x1b]0;owned\\x07" in text
