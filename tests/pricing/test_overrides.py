from decimal import Decimal
from pathlib import Path

import pytest

from mma_conductor import cost_tracker
from mma_conductor.pricing.overrides import PricingConfigError, env_key
from mma_conductor.pricing.usage import Usage


def write(path: Path, text: str) -> Path:
 path.write_text(text, encoding="utf-8")
 return path


def configure(tmp_path, user="", project="", env=None):
 user_file = write(tmp_path / "user.toml", user)
 project_dir = tmp_path / "project"
 project_dir.mkdir(exist_ok=True)
 write(project_dir / "mma_pricing.toml", project)
 return cost_tracker.configure_pricing(project_dir, user_file=user_file, env=env or {})


def test_project_file_overrides_user_file_and_env_overrides_both(tmp_path):
 configure(
  tmp_path,
  user='[models."gpt-4o"]\ninput = 1.0\noutput = 4.0\n',
  project='[models."gpt-4o"]\ninput = 2.0\n',
  env={"MMA_PRICE_GPT_4O_OUTPUT": "8"},
 )
 price = cost_tracker.price_book().price("gpt-4o")
 assert (price.input, price.output) == (Decimal("2.0"), Decimal("8"))
 # untouched fields keep the built-in value
 assert price.cache_read == Decimal("1.25")
 assert cost_tracker.estimate_cost("gpt-4o", 1_000_000, 1_000_000) == 10.0
 assert "user override" in price.source


def test_new_model_from_file_with_tiers_and_cache_rates(tmp_path):
 configure(
  tmp_path,
  project="""
[models."acme-large"]
input = 1
output = 2
cache_read = 0.1
cache_write = 1.25
cache_write_1h = 2
provider = "openai"
source = "ACME contract"
as_of = "2026-10-01"

[[models."acme-large".tiers]]
above_input_tokens = 100000
input = 3
output = 4
""",
 )
 price = cost_tracker.price_book().price("acme-large")
 assert price.provider == "openai" and price.source == "ACME contract" and price.as_of == "2026-10-01"
 assert cost_tracker.usage_cost("acme-large", Usage(100_000, 0)) == 0.1
 assert cost_tracker.usage_cost("acme-large", Usage(100_001, 1)) == (100_001 * 3 + 4) / 10**6
 usage = Usage(1000, 0, cache_read_tokens=100, cache_write_tokens=500, cache_write_1h_tokens=200)
 expected = (400 * 1 + 100 * Decimal("0.1") + 300 * Decimal("1.25") + 200 * 2) / 10**6
 assert cost_tracker.usage_cost_units("acme-large", usage) == int(expected * 10**15)


def test_env_var_defines_a_new_model_by_its_env_name(tmp_path):
 configure(tmp_path, env={"MMA_PRICE_MY_MODEL_INPUT": "0.5", "MMA_PRICE_MY_MODEL_OUTPUT": "1.5"})
 assert cost_tracker.estimate_cost("my-model", 2_000_000, 1_000_000) == 2.5
 assert env_key("claude-sonnet-4.5") == "CLAUDE_SONNET_4_5"


def test_fallback_model_from_settings(tmp_path):
 configure(tmp_path, project='[settings]\nfallback_model = "gpt-4o-mini"\n')
 found = cost_tracker.resolve_model("zz-internal-model")
 assert found.rule == "fallback" and found.matched == "gpt-4o-mini"
 assert cost_tracker.estimate_cost("zz-internal-model", 1_000_000, 0) == 0.15


@pytest.mark.parametrize(
 ("text", "fragments"),
 [
  ('[models."gpt-4o"]\ninput = -1\n', ['models."gpt-4o".input', "must not be negative"]),
  ('[models."gpt-4o"]\ninput = nan\n', ['models."gpt-4o".input', "finite"]),
  ('[models."gpt-4o"]\ninput = "cheap"\n', ['models."gpt-4o".input', "must be a number"]),
  ('[models."gpt-4o"]\ninput = true\n', ['models."gpt-4o".input', "boolean"]),
  ('[models."gpt-4o"]\ninptu = 1\n', ['models."gpt-4o"', "unknown key(s) inptu"]),
  ('[models."new-model"]\ninput = 1\n', ['models."new-model"', "output must be given"]),
  ('[models."x"]\ninput = 1\noutput = 1\n[[models."x".tiers]]\ninput = 2\noutput = 2\n', ["above_input_tokens"]),
  ("[models.x\ninput = 1\n", ["invalid TOML", "line 1"]),
  ('[settings]\nfallback = "gpt-4o"\n', ["settings.fallback", "unknown setting"]),
  ("[pricing]\n", ["unknown table(s) pricing"]),
 ],
)
def test_bad_file_names_file_and_key_and_changes_nothing(tmp_path, text, fragments):
 configure(tmp_path, project='[models."gpt-4o"]\ninput = 3.0\n')
 before = cost_tracker.price_book()
 with pytest.raises(PricingConfigError) as info:
  configure(tmp_path, project=text)
 message = str(info.value)
 assert "mma_pricing.toml" in message
 for fragment in fragments:
  assert fragment in message
 assert cost_tracker.price_book() is before
 assert cost_tracker.price_book().price("gpt-4o").input == Decimal("3.0")


@pytest.mark.parametrize(
 ("env", "fragments"),
 [
  ({"MMA_PRICE_GPT_4O_INPUT": "-2"}, ["MMA_PRICE_GPT_4O_INPUT", "negative"]),
  ({"MMA_PRICE_GPT_4O_INPUT": "x"}, ["MMA_PRICE_GPT_4O_INPUT", "must be a number"]),
  ({"MMA_PRICE_GPT_4O_PRICE": "1"}, ["MMA_PRICE_GPT_4O_PRICE", "must end in"]),
  ({"MMA_PRICE_NEWTHING_INPUT": "1"}, ["MMA_PRICE_NEWTHING_INPUT", "output must be given"]),
  ({"MMA_PRICING_FALLBACK_MODEL": "nonexistent-zz"}, ["fallback model", "nonexistent-zz"]),
 ],
)
def test_bad_env_names_the_variable_and_changes_nothing(tmp_path, env, fragments):
 before = configure(tmp_path)
 with pytest.raises(PricingConfigError) as info:
  configure(tmp_path, env=env)
 for fragment in fragments:
  assert fragment in str(info.value)
 assert cost_tracker.price_book() is before


def test_unreadable_pricing_file_is_reported(tmp_path):
 bad = tmp_path / "user.toml"
 bad.write_bytes(b"\xff\xfe\x00bad")
 with pytest.raises(PricingConfigError, match="cannot read pricing file"):
  cost_tracker.configure_pricing(user_file=bad, env={})


def test_missing_files_are_fine(tmp_path):
 book = cost_tracker.configure_pricing(tmp_path / "nowhere", user_file=tmp_path / "absent.toml", env={})
 assert book.sources == []
 assert book.price("gpt-4o").origin == "builtin"


# Absurd prices: each one ended in a decimal.Overflow traceback or a cost the ledger refuses -------------------------


@pytest.mark.parametrize(
 "value", ["1e20", "1e999999", "-1e999999", "NaN", "Infinity", "-Infinity", "-0.5", "1000000.000000001", "1e1000000"]
)
def test_absurd_env_price_is_refused_naming_the_variable(tmp_path, value):
 before = configure(tmp_path)
 with pytest.raises(PricingConfigError, match=r"^environment MMA_PRICE_GPT_4O_OUTPUT: ") as info:
  configure(tmp_path, env={"MMA_PRICE_GPT_4O_OUTPUT": value})
 assert "\n" not in str(info.value)
 assert cost_tracker.price_book() is before


@pytest.mark.parametrize("value", ["1e20", '"1e999999"', "1e999999", "inf", '"Infinity"', '"NaN"', "-3", "1_000_001"])
def test_absurd_file_price_is_refused_naming_file_and_key(tmp_path, value):
 before = configure(tmp_path)
 with pytest.raises(PricingConfigError) as info:
  tier = f"above_input_tokens = 1\ninput = 1\noutput = {value}\n"
  configure(tmp_path, project=f'[models."gpt-4o"]\noutput = 1\n[[models."gpt-4o".tiers]]\n{tier}')
 assert 'mma_pricing.toml: models."gpt-4o".tiers[0].output: ' in str(info.value)
 assert cost_tracker.price_book() is before


def test_the_price_ceiling_itself_is_accepted_and_named_in_the_error(tmp_path):
 configure(tmp_path, env={"MMA_PRICE_GPT_4O_OUTPUT": "1000000"})
 assert cost_tracker.price_book().price("gpt-4o").output == Decimal(1_000_000)
 with pytest.raises(PricingConfigError, match=r"above the ceiling of \$1,000,000 per 1M tokens"):
  configure(tmp_path, env={"MMA_PRICE_GPT_4O_OUTPUT": "1e20"})
