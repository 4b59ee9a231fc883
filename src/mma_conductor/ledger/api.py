"""A read-only JSON endpoint on 127.0.0.1 for the running app: the live session's cost and the ledger's reports.

    server = start_local_api(8765, controller.session_costs_dict, ledger)   # off unless the config sets a port
    ...
    server.close()

GET (and HEAD) only, JSON only; any other method is 405 with `Allow: GET, HEAD`:

    /                       the list of endpoints
    /session                the current session (total, formatted, per agent, model and tier): current_session()
    /summary                today, this week, this month, all time
    /breakdown?by=model     by provider, model, tier, agent, status, day, week or month; since/until/utc
    /sessions  /runs?top=N  sessions; the costliest runs and the cost per successful run
    /dashboard?range=7d     the Cost Dashboard's figures (dashboard.dashboard_data as JSON) for a range (1h, 24h,
                            7d, 30d, month, all, or custom with since/until) and provider, model, tier, run filters
    /budgets                every budget: limit, used, left, reserved by calls in flight, state, reset (the
                            running app's live figures; from the ledger when no app gives them)
    /insights               each tier's tokens priced on the other configured models (and `candidates=m1,m2`),
                            with the saving per month and success rates, and the other findings; since/until/utc,
                            provider, tier: the JSON of `costs optimize --json`

It never binds anything but a loopback address, and it answers only requests whose Host header is exactly a
loopback name or address with the bound port (`localhost:PORT`, `127.0.0.1:PORT`, `[::1]:PORT`; the bare name only
on port 80), so a web page cannot reach it through DNS rebinding.
"""

from __future__ import annotations

import ipaddress
import json
import threading
from collections.abc import Callable
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .store import Ledger

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
HOST_NAMES = ("localhost", "127.0.0.1", "[::1]")  # as they stand in a Host header
ENDPOINTS = ("/session", "/summary", "/breakdown", "/sessions", "/runs", "/dashboard", "/budgets", "/insights")
ALLOWED_METHODS = "GET, HEAD"
IDLE_TIMEOUT_S = 10.0  # a connection that sends nothing for this long is closed, so it cannot hold a thread


class LocalApiError(ValueError):
 """The local API cannot start as asked (a non-loopback address, a port in use)."""


class _BadRequest(ValueError):
 pass


class LocalApiServer(ThreadingHTTPServer):
 """The running endpoint; `url` says where, `close()` stops it."""

 daemon_threads = True

 def __init__(
  self,
  host: str,
  port: int,
  current_session: Callable[[], dict],
  ledger: Ledger,
  idle_timeout: float = IDLE_TIMEOUT_S,
  budgets: Callable[[], dict] | None = None,
  project_dir: Path | None = None,
 ) -> None:
  self.current_session = current_session
  self.ledger = ledger
  self.budgets = budgets
  self.project_dir = project_dir
  self.price_book: Any = None  # loaded by the first GET /insights
  self.idle_timeout = idle_timeout
  self.address_family = _family(host)
  super().__init__((host, port), _Handler)
  self.allowed_hosts = allowed_hosts(self.server_address[0], self.port)
  self._thread = threading.Thread(target=self.serve_forever, name="local-api", daemon=True)

 @property
 def port(self) -> int:
  """The port actually bound (useful with port 0)."""
  return self.server_address[1]

 @property
 def url(self) -> str:
  """`http://127.0.0.1:PORT`."""
  host = self.server_address[0]
  return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

 def close(self) -> None:
  """Stop serving and release the port."""
  self.shutdown()
  self.server_close()


def allowed_hosts(bound_host: str, port: int) -> frozenset[str]:
 """The Host header values (lower case) a server bound to `bound_host`:`port` answers: each loopback name
 with the port, and without it only on HTTP's default port 80 (RFC 9110 7.2)."""
 bound = f"[{bound_host}]" if ":" in bound_host else bound_host
 names = {*HOST_NAMES, bound}
 with_port = {f"{name}:{port}" for name in names}
 return frozenset(with_port | names) if port == 80 else frozenset(with_port)


def _family(host: str) -> int:
 import socket

 return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_loopback(host: str) -> None:
 """Raise LocalApiError unless `host` is a loopback address (127.0.0.0/8, ::1) or `localhost`."""
 if host == "localhost":
  return
 try:
  address = ipaddress.ip_address(host)
 except ValueError:
  raise LocalApiError(f"local API: {host!r} is not an IP address; it binds only to 127.0.0.1 (loopback)") from None
 if not address.is_loopback:
  raise LocalApiError(
   f"local API: refusing to bind to {host}: it serves cost data and binds only to 127.0.0.1 (loopback)"
  )


def start_local_api(
 port: int,
 current_session: Callable[[], dict],
 ledger: Ledger,
 *,
 host: str = "127.0.0.1",
 idle_timeout: float = IDLE_TIMEOUT_S,
 budgets: Callable[[], dict] | None = None,
 project_dir: Path | None = None,
) -> LocalApiServer:
 """Serve the read-only JSON API on `host`:`port` (loopback only) in a daemon thread; return the server.
 `current_session()` returns the live session's figures as a JSON-ready dict; `budgets()` the budgets' (None:
 `/budgets` reads them from `project_dir`'s mma_conductor.toml and their spend from the ledger); a connection idle
 for `idle_timeout` seconds is closed."""
 check_loopback(host)
 if type(port) is not int or not 0 <= port <= 65535:
  raise LocalApiError(f"local API: port must be 0..65535, got {port!r}")
 bind_host = "127.0.0.1" if host == "localhost" else host
 try:
  server = LocalApiServer(bind_host, port, current_session, ledger, idle_timeout, budgets, project_dir)
 except OSError as exc:
  raise LocalApiError(f"local API: cannot listen on {bind_host}:{port}: {exc.strerror or exc}") from None
 server._thread.start()
 return server


class _Handler(BaseHTTPRequestHandler):
 server: LocalApiServer
 server_version = "mma-conductor"
 _with_body = True

 def setup(self) -> None:
  self.timeout = self.server.idle_timeout  # StreamRequestHandler sets it on the socket; on expiry it hangs up
  super().setup()

 def log_message(self, format: str, *args: Any) -> None:
  pass  # the app has its own log; the default writes every request to stderr

 def __getattr__(self, name: str) -> Any:
  # Every method without a do_X of its own (POST, OPTIONS, TRACE, PROPFIND...) is 405, never http.server's 501.
  if name.startswith("do_"):
   return self._refuse
  raise AttributeError(name)

 def do_GET(self) -> None:
  if not self._host_is_loopback():
   return
  parts = urlsplit(self.path)
  route = parts.path.rstrip("/") or "/"
  query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
  try:
   self._send(*_answer(self.server, route, query))
  except _BadRequest as exc:
   self._send(400, {"error": str(exc)})
  except Exception as exc:  # the app must keep running whatever a report hits
   self._send(500, {"error": f"{type(exc).__name__}: {exc}"})

 def do_HEAD(self) -> None:
  self._with_body = False
  self.do_GET()

 def _refuse(self) -> None:
  if self._host_is_loopback():
   self._send(405, {"error": f"read-only: only {ALLOWED_METHODS} are allowed"}, allow=ALLOWED_METHODS)

 def _host_is_loopback(self) -> bool:
  """True when the request has one Host header naming the loopback with the bound port; else answer 403."""
  hosts = self.headers.get_all("Host") or []
  if len(hosts) == 1 and hosts[0].strip().lower() in self.server.allowed_hosts:
   return True
  where = f"127.0.0.1:{self.server.port} or localhost:{self.server.port}"
  self._send(403, {"error": f"this endpoint answers only requests addressed to {where}"})
  return False

 def _send(self, status: int, payload: Any, **headers: str) -> None:
  body = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
  self.send_response(status)
  self.send_header("Content-Type", "application/json; charset=utf-8")
  self.send_header("Content-Length", str(len(body)))
  self.send_header("Cache-Control", "no-store")
  for name, value in headers.items():
   self.send_header(name.capitalize(), value)
  self.end_headers()
  if self._with_body:
   self.wfile.write(body)


def _answer(server: LocalApiServer, route: str, query: dict[str, str]) -> tuple[int, Any]:
 """(HTTP status, JSON payload) of a GET."""
 handler = _ROUTES.get(route)
 if handler is None:
  return 404, {"error": f"no such endpoint: {route}", "endpoints": list(ENDPOINTS)}
 return 200, handler(server, query)


def _filter(query: dict[str, str], **matches: Any):
 from .periods import parse_when
 from .queries import CallFilter

 tz = UTC if query.get("utc") in ("1", "true", "yes") else None
 try:
  since = parse_when(query["since"], "since", tz=tz) if query.get("since") else None
  until = parse_when(query["until"], "until", end=True, tz=tz) if query.get("until") else None
 except ValueError as exc:
  raise _BadRequest(str(exc)) from None
 return CallFilter(since_us=since, until_us=until, **matches), tz


def _endpoints(server: LocalApiServer, query: dict[str, str]) -> Any:
 return {"endpoints": list(ENDPOINTS)}


def _session(server: LocalApiServer, query: dict[str, str]) -> Any:
 return server.current_session()


def _summary(server: LocalApiServer, query: dict[str, str]) -> Any:
 from .queries import period_summary

 _, tz = _filter(query)
 return {key: figures.as_dict() for key, figures in period_summary(server.ledger, tz=tz).items()}


def _breakdown(server: LocalApiServer, query: dict[str, str]) -> Any:
 from .queries import GROUPINGS, summarize

 by = query.get("by", "model")
 if by not in GROUPINGS:
  raise _BadRequest(f"by={by}: unknown breakdown (use {', '.join(GROUPINGS)})")
 filt, tz = _filter(query)
 return summarize(server.ledger, by, filt, tz=tz).as_dict()


def _sessions(server: LocalApiServer, query: dict[str, str]) -> Any:
 from .reports import sessions

 filt, _ = _filter(query)
 return [s.as_dict() for s in sessions(server.ledger, filt, limit=_int(query, "limit", 50))]


def _runs(server: LocalApiServer, query: dict[str, str]) -> Any:
 from .reports import run_economics, top_runs

 filt, _ = _filter(query)
 top = top_runs(server.ledger, _int(query, "top", 10), filt)
 return {"top": [r.as_dict() for r in top], "economics": run_economics(server.ledger, filt).as_dict()}


def _dashboard(server: LocalApiServer, query: dict[str, str]) -> Any:
 import time

 from .dashboard import RANGES, dashboard_data, dashboard_json, range_query
 from .periods import to_us

 name = query.get("range", "7d")
 if name not in RANGES:
  raise _BadRequest(f"range={name}: unknown range (use {', '.join(RANGES)})")
 filt, tz = _filter(query)
 filters = {
  key: query.get(param) for key, param in (("provider",) * 2, ("model",) * 2, ("tier",) * 2, ("run_id", "run"))
 }
 dashboard = range_query(name, to_us(time.time()), tz, filt.since_us, filt.until_us, **filters)
 return dashboard_json(dashboard_data(server.ledger, dashboard, tz=tz))


def _budgets(server: LocalApiServer, query: dict[str, str]) -> Any:
 if server.budgets is not None:
  return server.budgets()
 import time

 from ..pricing.budgets import BudgetSettings, load_budget_settings
 from ..pricing.calendar import to_us
 from .budget_report import budgets_json, ledger_rows
 from .config import PROJECT_CONFIG_NAME

 project = server.project_dir
 settings = load_budget_settings(Path(project) / PROJECT_CONFIG_NAME) if project is not None else BudgetSettings()
 now = to_us(time.time())
 return budgets_json(settings, ledger_rows(server.ledger, settings, now), now, "ledger")


def _insights(server: LocalApiServer, query: dict[str, str]) -> Any:
 from ..pricing.tiers import TIER_NAMES
 from .dashboard import DashboardQuery
 from .insights import candidate_models, configured_tiers, insights, insights_json

 filt, _ = _filter(query)
 tier = query.get("tier") or None
 if tier is not None and tier not in TIER_NAMES:
  raise _BadRequest(f"tier={tier}: unknown tier (use {', '.join(TIER_NAMES)})")
 ask = DashboardQuery(filt.since_us, filt.until_us, provider=query.get("provider") or None, tier=tier)
 tiers = configured_tiers(server.project_dir)
 named = [m.strip() for m in query.get("candidates", "").split(",") if m.strip()]
 current = {name: (t.provider, t.model) for name, t in tiers.items()}
 found = insights(server.ledger, ask, _price_book(server), current, candidate_models(tiers, named))
 return insights_json(found)


def _price_book(server: LocalApiServer) -> Any:
 """The project's price book, loaded once (the dataset takes a moment)."""
 book = server.price_book
 if book is None:
  from ..pricing.config import load_price_book

  book = server.price_book = load_price_book(server.project_dir)
 return book


def _int(query: dict[str, str], name: str, default: int) -> int:
 value = query.get(name)
 if value is None:
  return default
 if not value.isdigit() or int(value) > 10_000:
  raise _BadRequest(f"{name}={value}: expected a whole number up to 10000")
 return int(value)


_ROUTES: dict[str, Callable[[LocalApiServer, dict[str, str]], Any]] = {
 "/": _endpoints,
 "/session": _session,
 "/summary": _summary,
 "/breakdown": _breakdown,
 "/sessions": _sessions,
 "/runs": _runs,
 "/dashboard": _dashboard,
 "/budgets": _budgets,
 "/insights": _insights,
}
