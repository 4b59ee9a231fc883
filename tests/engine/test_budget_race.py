"""Eight workers race against a budget through the real OpenAI SDK and the loopback server: the calls in flight
hold their estimates, so what is spent past the limit is at most what calls cost above their estimates, never
eight whole calls unaccounted. The worst overspend over many races is measured by benchmarks/bench_budget_race.py.

Wire format: Chat Completions streaming with `stream_options.include_usage` (the final chunk carries `usage` and
empty `choices`), as in openai-python's tests/api_resources/chat/test_completions.py and the API reference's
"The chat completion chunk object".
"""

import pytest
from budget_race import KEY, run_race


@pytest.fixture
def openai_env(tmp_path, monkeypatch, provider_server, clean_provider_env, loopback_only):
 monkeypatch.setenv("OPENAI_API_KEY", KEY)
 monkeypatch.setenv("OPENAI_BASE_URL", provider_server.base_url + "/v1")
 monkeypatch.setenv("MMA_CONDUCTOR_CONFIG_DIR", str(tmp_path / "config"))
 return provider_server


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_honest_usage_never_spends_past_the_limit_with_8_workers(tmp_path, openai_env, seed):
 result = run_race(tmp_path / "p", openai_env, seed=seed)
 assert result.held
 assert result.peak_in_flight >= 6  # the workers really raced
 assert result.excess_units == 0  # every call cost at most its estimate ...
 assert result.spent_units <= result.limit_units  # ... so the limit holds exactly


def test_usage_above_the_estimates_overspends_by_at_most_the_calls_excess(tmp_path, openai_env):
 # The provider counts 20,000 prompt tokens for prompts of a few hundred characters (e.g. a large cached
 # context the request does not show): every call costs more than its estimate said.
 result = run_race(tmp_path / "p", openai_env, seed=4, prompt_tokens=20_000)
 assert result.held and result.peak_in_flight >= 6
 assert result.excess_units > 0
 assert result.spent_units <= result.limit_units + result.excess_units
