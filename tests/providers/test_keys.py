"""The user's keys file: each entry is a key string or a table with `api_key`; anything else is named."""

from __future__ import annotations

import pytest

from mma_conductor.providers.keys import KeyFileError, load_user_keys, resolve_api_key

SECRET = "sk-proj-Ab3dEf6hIj9kLm2NoPq5-9wXy"

# (keys.toml content, what the error names, what it says)
BAD_ENTRIES = [
 ("gemini = 12345\n", "gemini", "an integer"),
 ("openai = true\n", "openai", "a boolean"),
 (f'deepseek = ["{SECRET}"]\n', "deepseek", "an array"),
 ("anthropic = 1.5\n", "anthropic", "a number"),
 ("gemini = 2026-01-05\n", "gemini", "a date or time"),
 ("[anthropic]\napi_key = 42\n", "anthropic.api_key", "an integer"),
 (f'[openai]\nkey = "{SECRET}"\n', "openai.key", "unknown field"),
 ("[openai]\n", "openai", "api_key"),
]


@pytest.mark.parametrize(
 ("text", "where", "says"), BAD_ENTRIES, ids=[entry[0].split("=")[0].strip() for entry in BAD_ENTRIES]
)
def test_an_entry_that_is_not_a_key_is_an_error_naming_file_and_key(tmp_path, text, where, says):
 path = tmp_path / "keys.toml"
 path.write_text(text)
 with pytest.raises(KeyFileError) as caught:
  load_user_keys(path)
 message = str(caught.value)
 assert message.startswith(f"{path}: {where}") and says in message and "\n" not in message
 assert SECRET not in message and "12345" not in message


def test_good_entries_are_read(tmp_path):
 path = tmp_path / "keys.toml"
 path.write_text(f'openai = "{SECRET}"\ndeepseek = ""\n[anthropic]\napi_key = "a-key"\n')
 keys = load_user_keys(path)
 assert resolve_api_key("openai", {}, keys) == SECRET
 assert resolve_api_key("anthropic", {}, keys) == "a-key"
 assert resolve_api_key("deepseek", {"DEEPSEEK_API_KEY": "d-key"}, keys) == "d-key"  # blank counts as missing


def test_a_missing_file_is_no_keys(tmp_path):
 assert load_user_keys(tmp_path / "keys.toml") == {}
