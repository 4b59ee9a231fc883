"""The local JSON endpoint: live session figures and ledger reports, read-only, loopback only."""

import http.client
import json
import socket
import urllib.error
import urllib.request

import pytest
from ledger_factory import MONDAY, USD, call

from mma_conductor.ledger.api import LocalApiError, allowed_hosts, check_loopback, start_local_api
from mma_conductor.ledger.store import Ledger


@pytest.fixture
def server(tmp_path):
 ledger = Ledger.open(tmp_path / "ledger.sqlite3")
 ledger.record_calls(
  [
   call(MONDAY, 2 * USD, model="gpt-4o", provider="openai", run="r1"),
   call(MONDAY + 60, USD, model="claude-haiku-4-5", provider="anthropic", run="r2"),
  ]
 )
 ledger.record_run("r1", "done")
 live = {"total": {"cost_usd": "0.25", "formatted": "$0.2500"}, "by_tier": {"Tier 3": "$0.2500"}}
 running = start_local_api(0, lambda: live, ledger)
 yield running
 running.close()
 ledger.close()


def get(server, path, headers=None):
 request = urllib.request.Request(server.url + path, headers=headers or {})
 try:
  with urllib.request.urlopen(request, timeout=10) as response:
   return response.status, json.loads(response.read())
 except urllib.error.HTTPError as error:
  return error.code, json.loads(error.read())


def test_it_listens_on_loopback_only(server):
 assert server.server_address[0] == "127.0.0.1"
 assert server.url == f"http://127.0.0.1:{server.port}"


def test_endpoints(server):
 assert get(server, "/")[1]["endpoints"] == [
  "/session",
  "/summary",
  "/breakdown",
  "/sessions",
  "/runs",
  "/dashboard",
  "/budgets",
  "/insights",
 ]
 assert get(server, "/session") == (
  200,
  {"total": {"cost_usd": "0.25", "formatted": "$0.2500"}, "by_tier": {"Tier 3": "$0.2500"}},
 )
 status, summary = get(server, "/summary?utc=1")
 assert status == 200 and summary["all_time"]["cost_usd"] == "3.000000000000000"
 status, breakdown = get(server, "/breakdown?by=provider&since=2026-01-05&until=2026-01-05&utc=1")
 assert status == 200
 assert [(g["key"], g["cost_usd"]) for g in breakdown["groups"]] == [
  ("openai", "2.000000000000000"),
  ("anthropic", "1.000000000000000"),
 ]
 status, runs = get(server, "/runs?top=1")
 assert [r["run_id"] for r in runs["top"]] == ["r1"] and runs["economics"][
  "cost_per_successful_run_usd"
 ] == "3.000000000000000"
 assert get(server, "/sessions")[1][0]["calls"] == 2


def test_the_dashboard_of_a_range_and_filters(server):
 status, data = get(server, "/dashboard?range=custom&since=2026-01-05&until=2026-01-05&utc=1")
 assert status == 200
 assert (data["cards"]["spent_usd"], data["cards"]["calls"], data["cards"]["runs"]) == ("3.000000000000000", 2, 2)
 assert data["cards"]["spent_units"] == 3 * USD
 assert [(p["provider"], p["cost_usd"]) for p in data["providers"]] == [
  ("openai", "2.000000000000000"),
  ("anthropic", "1.000000000000000"),
 ]
 assert data["trend"]["bucket"] == "hour" and len(data["trend"]["starts_us"]) == 24
 assert [r["run_id"] for r in data["top_runs"]] == ["r1", "r2"]
 status, anthropic = get(server, "/dashboard?range=custom&since=2026-01-05&until=2026-01-05&utc=1&provider=anthropic")
 assert (anthropic["cards"]["spent_usd"], anthropic["query"]["provider"]) == ("1.000000000000000", "anthropic")
 assert get(server, "/dashboard")[0] == 200  # the last 7 days, up to now
 assert get(server, "/dashboard?range=fortnight")[0] == 400


def test_bad_requests(server):
 assert get(server, "/breakdown?by=colour")[0] == 400
 assert get(server, "/breakdown?since=someday")[0] == 400
 assert get(server, "/runs?top=lots")[0] == 400
 assert get(server, "/nothing")[0] == 404


def request(server, method, path, body=None):
 """(status, headers, body bytes) of one request on its own connection."""
 connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
 connection.request(method, path, body=body)
 response = connection.getresponse()
 answer = response.status, dict(response.getheaders()), response.read()
 connection.close()
 return answer


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"])
def test_it_is_read_only(server, method):
 status, headers, body = request(server, method, "/summary", body=b"{}")
 assert status == 405 and headers["Allow"] == "GET, HEAD" and "read-only" in json.loads(body)["error"]


@pytest.mark.parametrize("path", ["/summary", "/session", "/nothing", "/runs?top=lots"])
def test_head_answers_like_get_without_a_body(server, path):
 get_status, get_headers, get_body = request(server, "GET", path)
 status, headers, body = request(server, "HEAD", path)
 assert (status, body) == (get_status, b"")
 assert headers["Content-Type"] == get_headers["Content-Type"]
 assert headers["Content-Length"] == get_headers["Content-Length"] == str(len(get_body))


def test_head_with_a_foreign_host_is_refused(server):
 connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
 connection.putrequest("HEAD", "/summary", skip_host=True)
 connection.putheader("Host", "evil.com")
 connection.endheaders()
 assert connection.getresponse().status == 403
 connection.close()


def test_an_idle_connection_is_closed_by_the_server(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  running = start_local_api(0, dict, ledger, idle_timeout=0.2)
  try:
   with socket.create_connection(("127.0.0.1", running.port), timeout=30) as idle:
    assert idle.recv(1) == b""  # the server hangs up on a client that sends nothing
   assert request(running, "GET", "/summary")[0] == 200  # and goes on answering
  finally:
   running.close()


def test_idle_connections_are_closed_by_default(server):
 assert 0 < server.idle_timeout <= 60


def status_for_host(server, *hosts: str) -> int:
 """The status of GET /summary sent with exactly these Host headers (none when empty)."""
 connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
 connection.putrequest("GET", "/summary", skip_host=True)
 for host in hosts:
  connection.putheader("Host", host)
 connection.endheaders()
 response = connection.getresponse()
 response.read()
 connection.close()
 return response.status


# What a browser sends after DNS rebinding (the attacker's name, with or without the port), names that merely
# start or end like a loopback one, other loopback-looking spellings, and the right name on a wrong port.
HOSTILE_HOSTS = [
 "attacker.example:80",
 "evil.com:{port}",
 "evil.com",
 "127.0.0.1.evil.com:{port}",
 "127.0.0.1.evil.com",
 "localhost.evil:{port}",
 "localhost.evil.com:{port}",
 "evil.localhost:{port}",
 "127.0.0.1:{other}",
 "localhost:{other}",
 "[::1]:{other}",
 "127.0.0.1",
 "localhost",
 "localhost.:{port}",
 "127.0.0.2.nip.io:{port}",
 "127.1:{port}",
 "2130706433:{port}",
 "0x7f000001:{port}",
 "::1",
 "::1:{port}",
 "[::1]evil:{port}",
 "[::ffff:127.0.0.1]:{port}",
 "127.0.0.1:{port}.evil.com",
 "127.0.0.1:{port}@evil.com",
 "user@127.0.0.1:{port}",
 "127.0.0.1:{port}:{port}",
 "127.0.0.1:0{port}",
 "127.0.0.1:",
 "",
]


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_a_hostile_host_header_is_refused(server, host):
 header = host.format(port=server.port, other=server.port + 1)
 assert status_for_host(server, header) == 403


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}", "[::1]:{port}"])
def test_loopback_host_headers_with_the_bound_port_are_answered(server, host):
 assert status_for_host(server, host.format(port=server.port)) == 200


def test_a_missing_or_doubled_host_header_is_refused(server):
 assert status_for_host(server) == 403
 assert status_for_host(server, f"127.0.0.1:{server.port}", "evil.com") == 403


def test_the_bare_name_is_answered_only_on_port_80():
 assert "localhost" in allowed_hosts("127.0.0.1", 80) and "[::1]" in allowed_hosts("127.0.0.1", 80)
 assert "localhost" not in allowed_hosts("127.0.0.1", 8765)
 assert allowed_hosts("::1", 8765) == {"localhost:8765", "127.0.0.1:8765", "[::1]:8765"}
 assert "127.0.0.2:8765" in allowed_hosts("127.0.0.2", 8765)


def test_the_refusal_says_what_is_answered(server):
 status, body = get(server, "/summary", {"Host": "attacker.example:80"})
 assert status == 403 and "127.0.0.1" in body["error"]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com", ""])
def test_non_loopback_binds_are_refused(tmp_path, host):
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger, pytest.raises(LocalApiError) as caught:
  start_local_api(0, dict, ledger, host=host)
 assert "127.0.0.1" in str(caught.value) and "\n" not in str(caught.value)


def test_loopback_names():
 for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
  check_loopback(host)


def test_a_port_in_use_is_a_clear_error(server, tmp_path):
 with Ledger.open(tmp_path / "other.sqlite3") as ledger, pytest.raises(LocalApiError, match=f"127.0.0.1:{server.port}"):
  start_local_api(server.port, dict, ledger)
