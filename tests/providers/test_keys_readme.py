"""The README's API keys section: where keys.toml lives, its format and its precedence, checked against keys.py."""

import re
from pathlib import Path

from mma_conductor.providers.keys import ENV_VARS, load_user_keys, resolve_api_key, user_keys_path

README = Path(__file__).resolve().parents[2] / "README.md"


def keys_section() -> str:
 text = README.read_text(encoding="utf-8")
 found = re.search(r"^### API keys\n(.*?)(?=^#)", text, re.M | re.S)
 assert found, "the README has no '### API keys' section"
 return found.group(1)


def test_the_readme_says_where_keys_toml_lives_and_which_variables_it_beats():
 section = " ".join(keys_section().split())
 assert "keys.toml" in section and "MMA_CONDUCTOR_CONFIG_DIR" in section
 for provider, variables in ENV_VARS.items():
  if variables:
   assert f"`{provider}`" in section
  for variable in variables:
   assert variable in section
 assert "wins over the environment" in section


def test_the_readme_example_is_a_keys_file_the_app_reads_and_it_wins_over_the_environment(tmp_path, monkeypatch):
 example = re.search(r"```toml\n(.*?)```", keys_section(), re.S).group(1)
 path = user_keys_path()  # MMA_CONDUCTOR_CONFIG_DIR, set for every test by conftest.isolated_user
 assert path.parent == tmp_path / "config"
 path.parent.mkdir(parents=True)
 path.write_text(example, encoding="utf-8")
 keys = load_user_keys()
 env = {"ANTHROPIC_API_KEY": "from-env", "GEMINI_API_KEY": "from-env", "DEEPSEEK_API_KEY": "from-env"}
 assert resolve_api_key("anthropic", env, keys) == "sk-ant-..."
 assert resolve_api_key("gemini", env, keys) == "AIza..."  # the [gemini] table form
 assert resolve_api_key("openai", env, keys) == "sk-..."
 assert resolve_api_key("deepseek", env, keys) == "from-env"  # not in the file: the environment
