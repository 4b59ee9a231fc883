"""Budgets in the project file: parsing, one-line errors, and writing that keeps everything else."""

import tomllib
from decimal import Decimal

import pytest

from mma_conductor.pricing.book import PriceBook
from mma_conductor.pricing.budgets import (
 Budget,
 BudgetError,
 BudgetSettings,
 call_estimate_units,
 load_budget_settings,
 parse_budget_settings,
 prompt_tokens_estimate,
 save_budget_settings,
 with_budget_text,
)
from mma_conductor.pricing.money import usd_to_units
from mma_conductor.pricing.table import BUILTIN_PRICES

FILE = """# my project
[conductor]
max_parallel = 8   # keep this comment

[budgets]
time_zone = "Europe/Berlin"
week_start = "sunday"

[[budgets.limits]]
period = "monthly"
limit_usd = 100
alert_at = "80%"
action = "pause"

[[budgets.limits]]
period = "run"
tier = "Tier 3"
limit_usd = "2.50"
action = "stop"

[simulated]
seed = 3
"""


def test_a_project_file_reads_into_exact_budgets():
 settings = parse_budget_settings(tomllib.loads(FILE)["budgets"], "p.toml")
 assert settings.time_zone == "Europe/Berlin" and settings.week_start == 6
 monthly, tier3 = settings.limits
 assert monthly == Budget("monthly", usd_to_units(100), Decimal(80), "pause", "")
 assert tier3 == Budget("run", usd_to_units(Decimal("2.50")), Decimal(80), "stop", "Tier 3")
 assert (monthly.key, monthly.name, tier3.key, tier3.name) == (
  "monthly",
  "monthly budget",
  "Tier 3 run",
  "Tier 3 per-run budget",
 )
 assert tier3.label() == "Tier 3 per-run budget $2.50"
 assert settings.tz is not None and str(settings.tz) == "Europe/Berlin"


@pytest.mark.parametrize(
 ("limits", "message"),
 [
  (
   [{"period": "yearly", "limit_usd": 1}],
   "p.toml: budgets.limits[0].period: expected one of daily, weekly, monthly, run",
  ),
  ([{"period": "daily"}], "p.toml: budgets.limits[0].limit_usd: missing"),
  ([{"period": "daily", "limit_usd": 0}], "budgets.limits[0].limit_usd: expected an amount of dollars above 0"),
  ([{"period": "daily", "limit_usd": -5}], "above 0 and at most 1,000,000,000, got -5"),
  ([{"period": "daily", "limit_usd": 1e30}], "at most 1,000,000,000, got 1e+30"),
  ([{"period": "daily", "limit_usd": "lots"}], "expected an amount of dollars, got 'lots'"),
  ([{"period": "daily", "limit_usd": float("nan")}], "expected an amount of dollars above 0"),
  ([{"period": "daily", "limit_usd": True}], "expected an amount of dollars, got True"),
  ([{"period": "daily", "limit_usd": 1, "alert_at": "150%"}], "alert_at: expected a percentage above 0"),
  ([{"period": "daily", "limit_usd": 1, "action": "panic"}], "action: expected one of warn, pause, stop"),
  ([{"period": "daily", "limit_usd": 1, "tier": "Tier 9"}], "tier: expected one of Tier 1, Tier 2, Tier 3, Tier 4"),
  ([{"period": "daily", "limit_usd": 1, "limt": 3}], "budgets.limits[0].limt: unknown key"),
  ([{"period": "daily", "limit_usd": 1}, {"period": "daily", "limit_usd": 2}], "two daily budgets"),
  ("monthly", "budgets.limits must be an array of tables"),
 ],
)
def test_a_bad_budget_is_one_line_naming_file_and_key(limits, message):
 with pytest.raises(BudgetError) as caught:
  parse_budget_settings({"limits": limits}, "p.toml")
 assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
 ("table", "message"),
 [
  ({"time_zone": "Mars/Base"}, "budgets.time_zone: 'Mars/Base' is not a time zone"),
  ({"week_start": "funday"}, "budgets.week_start: expected a weekday"),
  ({"alert_webhook": "ftp://x"}, "budgets.alert_webhook: expected an http:// or https:// URL"),
  ({"alert_timeout_s": 0}, "budgets.alert_timeout_s: expected seconds above 0"),
  ({"alert_command": 5}, "budgets.alert_command: expected a string"),
  ({"limit": []}, "budgets.limit: unknown key"),
 ],
)
def test_bad_budget_settings_are_one_line(table, message):
 with pytest.raises(BudgetError, match=message.replace("(", r"\(").replace(".", r"\.")):
  parse_budget_settings(table, "p.toml")


@pytest.mark.parametrize(("given", "percent"), [("80%", 80), (80, 80), ("87.5 %", Decimal("87.5")), (100, 100)])
def test_alert_thresholds_are_percent(given, percent):
 settings = parse_budget_settings({"limits": [{"period": "daily", "limit_usd": 10, "alert_at": given}]}, "p")
 assert settings.limits[0].alert_pct == percent


def test_saving_replaces_only_the_budget_tables_and_reads_back_the_same(tmp_path):
 path = tmp_path / "mma_conductor.toml"
 path.write_text(FILE)
 settings = load_budget_settings(path)
 changed = settings.with_budget(Budget("daily", usd_to_units(Decimal("5.25")), Decimal("90"), "warn"))
 changed = changed.without("Tier 3 run")
 save_budget_settings(path, changed)
 text = path.read_text()
 assert "max_parallel = 8   # keep this comment" in text and "# my project" in text
 data = tomllib.loads(text)
 assert data["simulated"] == {"seed": 3} and data["conductor"] == {"max_parallel": 8}
 assert load_budget_settings(path) == changed
 assert [b.key for b in changed.limits] == ["daily", "monthly"]


def test_sub_cent_limits_survive_the_round_trip(tmp_path):
 path = tmp_path / "mma_conductor.toml"
 settings = BudgetSettings(limits=(Budget("run", usd_to_units(Decimal("0.0005"))),))
 save_budget_settings(path, settings)
 assert load_budget_settings(path) == settings


def test_removing_a_budget_that_is_not_there_says_which_exist():
 settings = BudgetSettings(limits=(Budget("monthly", 1),))
 with pytest.raises(BudgetError, match=r"no weekly budget \(budgets: monthly\)"):
  settings.without("weekly")


def test_a_file_on_a_read_only_disk_is_left_as_it_was():
 from real_disks import remount, tmpfs

 with tmpfs("1m") as disk:
  path = disk / "mma_conductor.toml"
  path.write_text(FILE)
  remount(disk, "ro")
  try:
   with pytest.raises(BudgetError, match="cannot write: Read-only file system"):
    save_budget_settings(path, BudgetSettings())
  finally:
   remount(disk, "rw")
  assert path.read_text() == FILE


def test_a_broken_project_file_is_not_rewritten(tmp_path):
 path = tmp_path / "mma_conductor.toml"
 path.write_text("[conductor\nmax_parallel = 2\n")
 with pytest.raises(BudgetError, match="invalid TOML"):
  save_budget_settings(path, BudgetSettings(limits=(Budget("daily", 5),)))
 assert path.read_text() == "[conductor\nmax_parallel = 2\n"


def test_budget_text_of_an_empty_file_is_just_the_tables():
 text = with_budget_text("", BudgetSettings(limits=(Budget("weekly", usd_to_units(3)),)))
 assert text.startswith("[budgets]\n") and '[[budgets.limits]]\nperiod = "weekly"\nlimit_usd = 3\n' in text


def test_the_pre_call_estimate_is_the_prompt_at_input_price_plus_max_tokens_at_output_price():
 book = PriceBook(dict(BUILTIN_PRICES))
 assert prompt_tokens_estimate("x" * 300, "y" * 600) == 300 + 16
 # claude-sonnet-4-5: $3 / $15 per million tokens
 units = call_estimate_units(book, "claude-sonnet-4-5", 1_000, 4_096)
 assert units == usd_to_units(Decimal("0.003") + Decimal("0.06144"))
 assert call_estimate_units(book, "no-such-model-anywhere", 10, 10) is None
