import pytest

from mma_conductor.app.project_config import ConfigError, load_project_config
from mma_conductor.engine.config import DEFAULT_TIERS


def write(tmp_path, text):
 (tmp_path / "mma_conductor.toml").write_text(text)


def test_defaults_without_a_file(tmp_path):
 config = load_project_config(tmp_path)
 assert config.tiers == DEFAULT_TIERS
 assert config.tiers["Tier 3"].escalation == ("gemini-2.5-flash", "gemini-2.5-pro")
 assert config.max_parallel == 4 and config.max_escalations == 2


def test_tier_settings(tmp_path):
 write(
  tmp_path,
  """
[conductor]
max_parallel = 8
[tiers.tier1]
provider = "anthropic"
model = "claude-sonnet-4-5"
[tiers.tier3]
provider = "deepseek"
model = "deepseek-chat"
escalation = ["deepseek-reasoner"]
[simulated]
seed = 3
latency_ms = 5
""",
 )
 config = load_project_config(tmp_path)
 assert config.max_parallel == 8
 assert config.tiers["Tier 1"].provider == "anthropic" and config.tiers["Tier 1"].model == "claude-sonnet-4-5"
 assert config.tiers["Tier 3"].escalation == ("deepseek-reasoner",)
 assert config.tiers["Tier 2"] == DEFAULT_TIERS["Tier 2"]
 assert config.simulated.seed == 3 and config.simulated.latency_ms == 5


@pytest.mark.parametrize(
 ("text", "fragment"),
 [
  ("[tiers.tier9]\nmodel = 'x'\n", "tiers.tier9"),
  ("[tiers.tier1]\nprovider = 'mistral'\n", "tiers.tier1.provider"),
  ("[tiers.tier1]\nprovider = 'openai'\n", "tiers.tier1.model"),
  ("[conductor]\nmax_parallel = 0\n", "conductor.max_parallel"),
  ("[conductor]\nmax_parallel = true\n", "conductor.max_parallel"),
  ("[conductor]\nparallel = 2\n", "conductor.parallel"),
  ("[simulated]\nreject_rate = 2\n", "simulated.reject_rate"),
  ("[tiers\n", "invalid TOML"),
 ],
)
def test_errors_name_file_and_key(tmp_path, text, fragment):
 write(tmp_path, text)
 with pytest.raises(ConfigError) as info:
  load_project_config(tmp_path)
 assert "mma_conductor.toml" in str(info.value) and fragment in str(info.value)
