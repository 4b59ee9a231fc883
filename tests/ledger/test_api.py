"""The local JSON endpoint: live session figures and ledger reports, read-only, loopback only."""

import http.client
import json
import urllib.error
import urllib.request

import pytest
from ledger_factory import MONDAY, USD, call

from mma_conductor.ledger.api import LocalApiError, check_loopback, start_local_api
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
 assert get(server, "/")[1]["endpoints"] == ["/session", "/summary", "/breakdown", "/sessions", "/runs"]
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


def test_bad_requests(server):
 assert get(server, "/breakdown?by=colour")[0] == 400
 assert get(server, "/breakdown?since=someday")[0] == 400
 assert get(server, "/runs?top=lots")[0] == 400
 assert get(server, "/nothing")[0] == 404


def test_it_is_read_only(server):
 connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
 for method in ("POST", "PUT", "DELETE", "PATCH"):
  connection.request(method, "/summary", body=b"{}")
  response = connection.getresponse()
  assert response.status == 405 and response.getheader("Allow") == "GET"
  response.read()
 connection.close()


def test_a_foreign_host_header_is_refused(server):
 status, body = get(server, "/summary", {"Host": "attacker.example:80"})
 assert status == 403 and "127.0.0.1" in body["error"]
 assert get(server, "/summary", {"Host": f"localhost:{server.port}"})[0] == 200


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
