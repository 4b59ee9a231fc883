"""Where the ledger lives: --ledger, $MMA_CONDUCTOR_LEDGER, the project's [ledger] table, the user data dir."""

import pytest

from mma_conductor.ledger.config import LedgerConfigError, load_ledger_settings, resolve_ledger_path


def test_precedence(tmp_path, monkeypatch):
 project = tmp_path / "project"
 project.mkdir()
 assert resolve_ledger_path(None, project) == tmp_path / "data" / "ledger.sqlite3"
 (project / "mma_conductor.toml").write_text(
  '[conductor]\nmax_parallel = 2\n[ledger]\npath = "costs/l.sqlite3"\napi_port = 8765\n'
 )
 assert resolve_ledger_path(None, project) == project / "costs" / "l.sqlite3"
 assert load_ledger_settings(project).api_port == 8765
 monkeypatch.setenv("MMA_CONDUCTOR_LEDGER", str(tmp_path / "env.sqlite3"))
 assert resolve_ledger_path(None, project) == tmp_path / "env.sqlite3"
 assert resolve_ledger_path(tmp_path / "flag.sqlite3", project) == tmp_path / "flag.sqlite3"


def test_platform_default(monkeypatch):
 monkeypatch.delenv("MMA_CONDUCTOR_DATA_DIR")
 path = resolve_ledger_path()
 assert path.name == "ledger.sqlite3" and "mma-conductor" in str(path)


@pytest.mark.parametrize(
 ("text", "needle"),
 [
  ("[ledger]\napi_port = 80000\n", "ledger.api_port"),
  ("[ledger]\napi_port = true\n", "ledger.api_port"),
  ("[ledger]\npath = 3\n", "ledger.path"),
  ("[ledger]\ncolour = 'blue'\n", "ledger.colour: unknown key"),
  ("ledger = 1\n", "ledger must be a table"),
  ("[ledger\n", "invalid TOML"),
 ],
)
def test_bad_settings_name_the_file_and_key(tmp_path, text, needle):
 (tmp_path / "mma_conductor.toml").write_text(text)
 with pytest.raises(LedgerConfigError) as caught:
  load_ledger_settings(tmp_path)
 assert str(tmp_path / "mma_conductor.toml") in str(caught.value) and needle in str(caught.value)
