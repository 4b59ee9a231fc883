"""The one TOML reader: every project, user and track file is read through files.read_toml."""

from __future__ import annotations

import pytest

from mma_conductor.app.project_config import load_project_config
from mma_conductor.app.settings import load_settings
from mma_conductor.engine.track_store import load_track_file
from mma_conductor.files import read_toml
from mma_conductor.ledger.config import load_ledger_settings
from mma_conductor.pricing.overrides import load_pricing_file
from mma_conductor.providers.keys import load_user_keys

BOM = b"\xef\xbb\xbf"  # what Windows Notepad (before 2019) and PowerShell 5's Out-File put before UTF-8 text

# Each reader of a TOML file, with a file name and content it would otherwise accept.
READERS = {
 "keys": ("keys.toml", 'openai = "sk-test"\n', lambda path: load_user_keys(path)),
 "pricing": ("mma_pricing.toml", "[settings]\n", lambda path: load_pricing_file(path)),
 "project config": ("mma_conductor.toml", "[conductor]\n", lambda path: load_project_config(path.parent)),
 "ledger config": ("mma_conductor.toml", "[ledger]\n", lambda path: load_ledger_settings(path.parent)),
 "track": ("t.toml", '[track]\nid = "t"\ngoal = "g"\n', lambda path: load_track_file(path)),
}


@pytest.mark.parametrize("reader", READERS)
def test_a_byte_order_mark_is_named_with_the_file(tmp_path, reader):
 name, text, read = READERS[reader]
 path = tmp_path / name
 path.write_bytes(text.encode("utf-8"))
 read(path)  # accepted without the BOM
 path.write_bytes(BOM + text.encode("utf-8"))
 with pytest.raises(ValueError) as caught:
  read(path)
 message = str(caught.value)
 assert message.startswith(f"{path}: ") and "\n" not in message
 assert "byte order mark (BOM)" in message and "UTF-8 without BOM" in message
 assert path.read_bytes().startswith(BOM)  # reported, never rewritten


def test_a_bom_further_in_is_left_to_the_parser(tmp_path):
 path = tmp_path / "x.toml"
 path.write_bytes(b'a = "' + BOM + b'"\n')
 assert read_toml(path, ValueError) == {"a": "\ufeff"}


def test_the_app_settings_with_a_bom_are_reported_and_left_alone(tmp_path, capsys):
 path = tmp_path / "settings.toml"
 path.write_bytes(BOM + b'goal = "g"\n')
 assert load_settings(path).unreadable_file == str(path)
 assert f"{path}: starts with a byte order mark (BOM)" in capsys.readouterr().err
