"""A ticket is never durably done before its calls are durably recorded: kill -9 of a headless run at many points,
then every ticket the track file calls done has all its cost in the ledger (so a resume, which skips done
tickets, can never lose a billed call)."""

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict

import pytest

from mma_conductor.engine.track_store import list_tracks, load_track_file
from mma_conductor.ledger.queries import list_calls
from mma_conductor.ledger.store import Ledger

# Seconds after the start at which the run is killed: spread over planning, work and the end of the run.
KILL_AFTER_S = (0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.3, 2.6, 3.0)


def start_run(project):
 (project / "mma_conductor.toml").write_text(
  "[conductor]\nmax_parallel = 4\n"
  "[simulated]\nseed = 3\nlatency_ms = 15\nreject_rate = 0.2\n"
  # Simulated calls are recorded here only so that the test needs no provider: they flow like real ones.
  f'[ledger]\nrecord_simulated = true\npath = "{(project / "ledger.sqlite3").as_posix()}"\n'
 )
 command = [sys.executable, "-m", "mma_conductor.cli", "--project", str(project), "run", "--goal", "Word counter"]
 return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ledger_cost_per_ticket(project) -> dict[str, int]:
 path = project / "ledger.sqlite3"
 if not path.exists():
  return {}
 ledger = Ledger.open(path, create=False)
 try:
  costs: dict[str, int] = defaultdict(int)
  for call in list_calls(ledger):
   costs[call.ticket_id] += call.cost_units or 0
  return costs
 finally:
  ledger.close()


@pytest.mark.slow
@pytest.mark.parametrize("kill_after_s", KILL_AFTER_S)
def test_kill_9_never_leaves_a_done_ticket_whose_calls_are_not_in_the_ledger(tmp_path, kill_after_s):
 run = start_run(tmp_path)
 time.sleep(kill_after_s)
 os.kill(run.pid, signal.SIGKILL)
 run.wait(30)
 tracks = list_tracks(tmp_path)
 if not tracks:
  return  # killed before the plan was saved: nothing is done, nothing can be skipped on resume
 track = load_track_file(tracks[0])
 in_ledger = ledger_cost_per_ticket(tmp_path)
 done = [ticket for ticket in track.tickets if ticket.status == "done"]
 missing = {t.id: (t.cost_units, in_ledger.get(t.id, 0)) for t in done if in_ledger.get(t.id, 0) < t.cost_units}
 assert not missing, f"done in the track file but not (fully) in the ledger (ticket: saved, recorded): {missing}"
