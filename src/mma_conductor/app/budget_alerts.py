"""Budget alerts delivered off the GUI thread, once per budget, period, threshold and limit.

The budget guard reports each alert once per process (the engine emits `BudgetAlerted` on the conductor's thread).
The controller's post tap hands it to this module's worker thread, which, for each alert:

1. claims it in the ledger (`ledger.budget_alerts.claim_alert`, INSERT OR IGNORE): only the process whose insert
   stored it delivers it, so a restart, a second window or a headless run on the same ledger does not repeat it
   (a guard starting a run re-reports the alerts its period is already past: the claim drops them). Without a
   ledger, or when it is read-only or damaged, an alert is delivered once per process. Per-run budgets are not
   claimed: their period is one run, which lives in one process;
2. posts `AlertDelivered`: the controller adds the GUI notification and the comms log line;
3. appends a line to `costs.log` beside the ledger;
4. runs `[budgets] alert_command` and POSTs to `alert_webhook`, each bounded by `alert_timeout_s`. A failure, a
   timeout or a non-zero exit is one error line in the comms log; nothing here ever stops or slows the conductor.

The command runs without a shell: it is split like a POSIX shell would split it (`shlex.split`; on Windows the
string goes to CreateProcess as it is), with the project folder as its working directory and the alert in
MMA_BUDGET_* environment variables. Pipes, redirections or `$VARIABLES` in arguments need a shell, asked for
explicitly: `alert_command = "sh -c 'notify-send \\"$MMA_BUDGET_MESSAGE\\"'"`. No guessing from the string: a
quoted `&` or `$` never silently changes how the command runs. On a timeout the command and everything it started
(its process group, on POSIX) is killed.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shlex
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..engine.events import BudgetAlerted, LogEvent
from ..ledger.budget_alerts import alert_line, claim_alert, log_alert
from ..ledger.store import Ledger, LedgerError
from ..pricing.budget_guard import BudgetAlert
from ..pricing.budgets import BudgetSettings
from ..pricing.calendar import to_us
from ..pricing.money import units_to_decimal

KILL_WAIT_S = 2.0
# (JSON field of the webhook's body, environment variable of the command): the same facts for both.
FIELDS = (
 ("budget_key", "MMA_BUDGET_KEY"),
 ("budget_name", "MMA_BUDGET_NAME"),
 ("threshold", "MMA_BUDGET_THRESHOLD"),
 ("used_usd", "MMA_BUDGET_USED_USD"),
 ("limit_usd", "MMA_BUDGET_LIMIT_USD"),
 ("message", "MMA_BUDGET_MESSAGE"),
)


@dataclass(frozen=True, slots=True)
class AlertDelivered:
 """A budget alert this process delivers (posted to the controller: the notification and the comms log line)."""

 alert: BudgetAlert
 message: str


def alert_values(alert: BudgetAlert, message: str) -> dict[str, str]:
 """The alert's facts by JSON field: `budget_key` (`monthly`), `budget_name`, `threshold` (percent of the limit,
 `80`; `100` at the limit), `used_usd` and `limit_usd` (exact decimal dollars), `message`."""
 values = (
  alert.budget.key,
  alert.budget.name,
  f"{alert.threshold_pct.normalize():f}",
  _exact_usd(alert.used_units),
  _exact_usd(alert.budget.limit_units),
  message,
 )
 return {field: value for (field, _), value in zip(FIELDS, values, strict=True)}


def _exact_usd(units: int) -> str:
 return f"{units_to_decimal(units).normalize():f}"


class BudgetAlertDelivery:
 """Delivers the alerts the engine reports (see the module docstring). `on_posted` is a controller post tap;
 `ledger` is set when the controller attaches one."""

 def __init__(
  self,
  post: Callable[[object], None],
  settings: Callable[[], BudgetSettings],
  *,
  cwd: Path,
  clock: Callable[[], float] = time.time,
 ) -> None:
  self.post = post
  self.settings = settings
  self.cwd = cwd
  self.clock = clock
  self.ledger: Ledger | None = None
  self._delivered: set[tuple] = set()  # once per process, whatever the ledger says
  self._queue: deque[tuple[BudgetAlert, BudgetSettings] | None] = deque()
  self._cond = threading.Condition()
  self._busy = 0
  self._worker: threading.Thread | None = None

 def on_posted(self, event: object) -> None:
  """A post tap (any thread): queue a reported alert for the worker thread, with the settings of that moment."""
  if isinstance(event, BudgetAlerted):
   self._put((event.alert, self.settings()))

 def _put(self, item: tuple[BudgetAlert, BudgetSettings] | None) -> None:
  with self._cond:
   self._queue.append(item)
   self._busy += item is not None
   if self._worker is None:
    self._worker = threading.Thread(target=self._run, name="budget-alerts", daemon=True)
    self._worker.start()
   self._cond.notify_all()

 def flush(self, timeout: float | None = None) -> bool:
  """Wait until every alert queued so far is delivered (command and webhook done); False if `timeout` passed."""
  with self._cond:
   return self._cond.wait_for(lambda: self._busy == 0, timeout)

 def close(self, timeout: float | None = None) -> bool:
  """Deliver what is queued (waiting up to `timeout`) and stop the worker; False if deliveries were still going
  (the worker is left to finish them: it never keeps the process alive)."""
  if not self.flush(timeout):
   return False
  with self._cond:
   worker = self._worker
  if worker is not None:
   self._put(None)
   worker.join(timeout)
  return True

 def _run(self) -> None:
  while (item := self._next()) is not None:
   try:
    self._deliver(*item)
   except Exception as exc:  # a delivery that breaks must never end the thread or reach the conductor
    self.post(LogEvent("error", f"budget alert not delivered: {type(exc).__name__}: {exc}"))
   finally:
    with self._cond:
     self._busy -= 1
     self._cond.notify_all()

 def _next(self) -> tuple[BudgetAlert, BudgetSettings] | None:
  with self._cond:
   self._cond.wait_for(lambda: bool(self._queue))
   item = self._queue.popleft()
   if item is None:  # in the same lock as _put's check: an alert queued after this starts a new worker
    self._worker = None
   return item

 def _deliver(self, alert: BudgetAlert, settings: BudgetSettings) -> None:
  if not self._claim(alert):
   return
  now = self.clock()
  message = alert.message(to_us(now))
  self.post(AlertDelivered(alert, message))
  values = alert_values(alert, message)
  problems = (
   self._log_line(alert, now, settings),
   run_alert_command(settings.alert_command, values, settings.alert_timeout_s, self.cwd),
   post_alert_webhook(settings.alert_webhook, values, settings.alert_timeout_s),
  )
  for problem in problems:
   if problem:
    self.post(LogEvent("error", problem))

 def _claim(self, alert: BudgetAlert) -> bool:
  key = (alert.budget.key, alert.period, alert.threshold_pct, alert.budget.limit_units)
  if key in self._delivered:
   return False
  self._delivered.add(key)
  ledger = self.ledger
  if ledger is None or alert.budget.calendar_period is None:
   return True
  try:
   claimed = claim_alert(ledger, alert, to_us(self.clock()))
  except LedgerError as exc:
   self.post(LogEvent("error", f"budget alert delivered but not remembered: {exc}"))
   return True
  return claimed is not False

 def _log_line(self, alert: BudgetAlert, now: float, settings: BudgetSettings) -> str:
  ledger = self.ledger
  if ledger is None:
   return ""
  try:
   log_alert(ledger, alert_line(alert, now, settings.tz))
  except OSError as exc:
   return str(exc)
  return ""


# The command -------------------------------------------------------------------------------------------------------


def run_alert_command(command: str, values: dict[str, str], timeout_s: float, cwd: Path) -> str:
 """Run `command` (no shell; see the module docstring) with the alert in MMA_BUDGET_* variables, killed after
 `timeout_s`. Returns "" when it exited 0, else the one-line problem (nothing to do: "")."""
 if not command.strip():
  return ""
 try:
  args = shlex.split(command) if os.name == "posix" else command
 except ValueError as exc:
  return f"budget alert command cannot be read ({exc}): {command}"
 env = {**os.environ, **{variable: values[field] for field, variable in FIELDS}}
 try:
  process = subprocess.Popen(
   args,
   cwd=cwd,
   env=env,
   stdin=subprocess.DEVNULL,
   stdout=subprocess.DEVNULL,
   stderr=subprocess.PIPE,
   start_new_session=os.name == "posix",
  )
 except (OSError, ValueError) as exc:
  return f"budget alert command cannot start: {exc}"
 return _wait(process, timeout_s)


def _wait(process: subprocess.Popen, timeout_s: float) -> str:
 try:
  _, stderr = process.communicate(timeout=timeout_s)
 except subprocess.TimeoutExpired:
  _kill(process)
  return f"budget alert command timed out after {timeout_s:g} s and was killed"
 if process.returncode != 0:
  said = _last_line(stderr)
  return f"budget alert command failed with exit code {process.returncode}" + (f": {said}" if said else "")
 return ""


def _kill(process: subprocess.Popen) -> None:
 # The whole process group: a `sh -c` command's children would otherwise live on and keep the pipe open.
 if os.name == "posix":
  with contextlib.suppress(ProcessLookupError):
   os.killpg(process.pid, signal.SIGKILL)
 else:
  process.kill()
 try:
  process.communicate(timeout=KILL_WAIT_S)
 except subprocess.TimeoutExpired:  # a descendant that left the group still holds the pipe: stop reading it
  if process.stderr is not None:
   process.stderr.close()
  process.wait(KILL_WAIT_S)


def _last_line(stderr: bytes | None) -> str:
 lines = (stderr or b"").decode("utf-8", errors="replace").strip().splitlines()
 return lines[-1].strip()[:300] if lines else ""


# The webhook -------------------------------------------------------------------------------------------------------


def post_alert_webhook(url: str, values: dict[str, str], timeout_s: float) -> str:
 """POST the alert as a JSON object to `url` (each network step bounded by `timeout_s`). Returns "" on a 2xx answer,
 else the one-line problem; the URL is named by its host only (webhook URLs often carry a secret)."""
 if not url:
  return ""
 body = json.dumps(values).encode()
 headers = {"Content-Type": "application/json", "User-Agent": "mma-conductor"}
 request = urllib.request.Request(url, data=body, headers=headers, method="POST")
 where = f"budget alert webhook on {urllib.parse.urlsplit(url).hostname}"
 try:
  with urllib.request.urlopen(request, timeout=timeout_s) as response:
   response.read(65536)
 except urllib.error.HTTPError as exc:
  exc.close()
  return f"{where} failed: HTTP {exc.code} {exc.reason}"
 except (OSError, http.client.HTTPException) as exc:  # URLError is an OSError; a timeout, one or wrapped in one
  return f"{where} failed: {_reason(exc, timeout_s)}"
 return ""


def _reason(exc: BaseException, timeout_s: float) -> str:
 reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
 if isinstance(reason, TimeoutError):
  return f"no answer within {timeout_s:g} s"
 return str(reason) if isinstance(exc, urllib.error.URLError) else f"{type(exc).__name__}: {exc}"
