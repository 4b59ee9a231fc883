"""`costs` on a user's machine: exports never overwrite the app's own files and get ordinary permissions."""

import os
import stat

import pytest
from ledger_factory import MONDAY, USD, call

from mma_conductor.app.settings import layout_path, settings_path
from mma_conductor.cli import main
from mma_conductor.engine.track_store import track_path, tracks_dir
from mma_conductor.ledger import config
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.config import project_pricing_file, user_pricing_file
from mma_conductor.providers.keys import user_keys_path

CONTENT = b"precious bytes\n"


@pytest.fixture
def project(tmp_path):
 folder = tmp_path / "project"
 folder.mkdir()
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  ledger.record_calls([call(MONDAY, USD, request_id="q1"), call(MONDAY + 60, USD, request_id="q2")])
 return folder


def own_file(name: str, project, tmp_path):
 """Each of the app's own files, by the owning module's own function where there is one."""
 ledger = tmp_path / "ledger.sqlite3"
 return {
  "ledger": ledger,
  "wal": tmp_path / "ledger.sqlite3-wal",
  "shm": tmp_path / "ledger.sqlite3-shm",
  "costs.log": tmp_path / "costs.log",
  "default ledger": tmp_path / "data" / "ledger.sqlite3",
  "default costs.log": tmp_path / "data" / "costs.log",
  "user pricing": user_pricing_file(),
  "project pricing": project_pricing_file(project),
  "project config": project / "mma_conductor.toml",
  "keys": user_keys_path(),
  "settings": settings_path(),
  "layout": layout_path(),
  "track": track_path(project, "track-1"),
  "new track": tracks_dir(project) / "new.toml",
 }[name]


CASES = [
 "ledger",
 "wal",
 "shm",
 "costs.log",
 "default ledger",
 "default costs.log",
 "user pricing",
 "project pricing",
 "project config",
 "keys",
 "settings",
 "layout",
 "track",
 "new track",
]


def export(project, tmp_path, output, fmt="csv"):
 ledger = str(tmp_path / "ledger.sqlite3")
 return main(["--project", str(project), "costs", "export", "--format", fmt, "-o", str(output), "--ledger", ledger])


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("via_symlink", [False, True])
def test_export_refuses_the_apps_own_files(name, via_symlink, project, tmp_path, capsys):
 target = own_file(name, project, tmp_path)
 target.parent.mkdir(parents=True, exist_ok=True)
 if not target.exists():
  target.write_bytes(CONTENT)
 before = target.read_bytes()
 output = target
 if via_symlink:
  output = tmp_path / "innocent.csv"
  output.symlink_to(target)
 assert export(project, tmp_path, output) == 1
 err = capsys.readouterr().err
 assert err.count("\n") == 1 and err.startswith("mma-conductor: ") and "refusing" in err and str(output) in err
 assert target.read_bytes() == before
 assert not via_symlink or output.is_symlink()


@pytest.mark.parametrize("fmt", ["json", "pdf"])
def test_every_format_refuses_the_ledger_and_a_hard_link_to_it(fmt, project, tmp_path, capsys):
 ledger = tmp_path / "ledger.sqlite3"
 before = ledger.read_bytes()
 linked = tmp_path / "linked.db"
 os.link(ledger, linked)
 for output in (ledger, linked):
  assert export(project, tmp_path, output, fmt) == 1
  assert "refusing" in capsys.readouterr().err
 assert ledger.read_bytes() == before


def test_the_ledger_knows_the_paths_of_the_other_layers(project):
 """ledger.config repeats file names it may not import; they must match the owners' own functions."""
 files, folders = config.own_files(project)
 for owned in (user_keys_path(), settings_path(), layout_path(), user_pricing_file(), project_pricing_file(project)):
  assert owned in files
 assert folders == [tracks_dir(project)]


def test_an_export_is_created_with_the_umask_not_0600(project, tmp_path, capsys):
 old = os.umask(0o022)
 try:
  for fmt in ("csv", "json", "pdf"):
   output = tmp_path / f"calls.{fmt}"
   assert export(project, tmp_path, output, fmt) == 0, capsys.readouterr().err
   assert stat.S_IMODE(output.stat().st_mode) == 0o644
 finally:
  os.umask(old)


def test_an_export_through_a_symlink_replaces_the_target_and_keeps_the_link(project, tmp_path, capsys):
 real = tmp_path / "reports" / "calls.csv"
 real.parent.mkdir()
 real.write_text("old export")
 link = tmp_path / "calls.csv"
 link.symlink_to(real)
 assert export(project, tmp_path, link) == 0, capsys.readouterr().err
 assert link.is_symlink() and real.read_text().startswith("id,ts,")
