"""Applying an insight's suggestion (issue 13, point 12): the tier's provider and model change for the next calls
and in the project's mma_conductor.toml, every other line of the file kept; undo puts both back."""

import pytest

from mma_conductor.app.controller import AppController
from mma_conductor.app.project_config import ConfigError, load_project_config
from mma_conductor.engine.config import DEFAULT_TIERS, TierConfig

PROJECT_TEXT = """# my project: comments and other tables stay as written
[conductor]
max_parallel = 2  # two at once

[tiers.tier3]
# the workers
provider = "anthropic"
model = "claude-sonnet-4-5"
escalation = [
 "claude-opus-4-5",  # when QA says no
]

[ledger]
record_simulated = false

[budgets]
time_zone = "UTC"
"""
SONNET = TierConfig("anthropic", "claude-sonnet-4-5", ("claude-opus-4-5",))


@pytest.fixture
def controller(tmp_path):
 (tmp_path / "mma_conductor.toml").write_text(PROJECT_TEXT)
 app = AppController(tmp_path)
 yield app
 app.shutdown()


def test_apply_changes_the_tier_now_and_in_the_file_and_undo_puts_it_back(controller, tmp_path):
 path = tmp_path / "mma_conductor.toml"
 before = path.read_text()
 assert controller.config.tiers["Tier 3"] == SONNET
 token = controller.apply_suggestion("Tier 3", "gemini", "gemini-2.5-flash")
 flash = TierConfig("gemini", "gemini-2.5-flash", ("claude-opus-4-5",))  # the escalation ladder is kept
 assert controller.config.tiers["Tier 3"] == controller.engine.config.tiers["Tier 3"] == flash
 assert load_project_config(tmp_path).tiers["Tier 3"] == flash
 text = path.read_text()
 assert 'provider = "gemini"\nmodel = "gemini-2.5-flash"\nescalation = ["claude-opus-4-5"]' in text
 unchanged = [
  line for line in before.splitlines() if not line.startswith(("provider", "model", "escalation", " ", "]"))
 ]
 assert [line for line in text.splitlines() if line in unchanged] == unchanged  # every other line, in order
 assert "# the workers" in text and "max_parallel = 2  # two at once" in text and '[budgets]\ntime_zone = "UTC"' in text

 controller.undo_suggestion(token)
 assert controller.config.tiers["Tier 3"] == controller.engine.config.tiers["Tier 3"] == SONNET
 assert load_project_config(tmp_path).tiers["Tier 3"] == SONNET
 assert load_project_config(tmp_path).max_parallel == 2


def test_a_tier_without_a_table_gets_one_and_keeps_its_default_ladder(controller, tmp_path):
 token = controller.apply_suggestion("Tier 2", "openai", "gpt-4o-mini")
 assert load_project_config(tmp_path).tiers["Tier 2"] == TierConfig("openai", "gpt-4o-mini")
 assert (
  (tmp_path / "mma_conductor.toml")
  .read_text()
  .endswith('[tiers.tier2]\nprovider = "openai"\nmodel = "gpt-4o-mini"\nescalation = []\n')
 )
 controller.undo_suggestion(token)
 assert load_project_config(tmp_path).tiers["Tier 2"] == DEFAULT_TIERS["Tier 2"] == controller.config.tiers["Tier 2"]


def test_a_broken_or_unwritable_file_changes_nothing(controller, tmp_path):
 path = tmp_path / "mma_conductor.toml"
 path.write_text(PROJECT_TEXT + "[tiers.tier3\n")
 with pytest.raises(ConfigError) as broken:
  controller.apply_suggestion("Tier 3", "gemini", "gemini-2.5-flash")
 assert "\n" not in str(broken.value) and "invalid TOML" in str(broken.value)
 assert path.read_text() == PROJECT_TEXT + "[tiers.tier3\n" and controller.config.tiers["Tier 3"] == SONNET
 path.write_text(PROJECT_TEXT)
 with pytest.raises(ConfigError, match="expected one of"):  # a provider the app does not know
  controller.apply_suggestion("Tier 3", "acme", "acme-1")
 assert path.read_text() == PROJECT_TEXT
 path.unlink()
 path.mkdir()  # not a file: cannot be read
 with pytest.raises(ConfigError, match="cannot read"):
  controller.apply_suggestion("Tier 3", "gemini", "gemini-2.5-flash")
 assert controller.config.tiers["Tier 3"] == controller.engine.config.tiers["Tier 3"] == SONNET


def test_a_read_only_disk_is_one_line_and_changes_nothing(tmp_path):
 from real_disks import remount, tmpfs

 with tmpfs("1m") as disk:
  (disk / "mma_conductor.toml").write_text(PROJECT_TEXT)
  app = AppController(disk)
  try:
   remount(disk, "ro")
   with pytest.raises(ConfigError, match="cannot write") as failed:
    app.apply_suggestion("Tier 3", "gemini", "gemini-2.5-flash")
   assert "\n" not in str(failed.value) and app.config.tiers["Tier 3"] == SONNET
   assert (disk / "mma_conductor.toml").read_text() == PROJECT_TEXT
  finally:
   remount(disk, "rw")
   app.shutdown()
