"""The session the cost-engine benchmarks measure: 10 models across the four providers, in each of the four
tiers of mma_conductor.pricing.tiers.TIER_NAMES."""

MODELS = (
 "gpt-4o",
 "gpt-4o-mini",
 "gpt-5",
 "claude-sonnet-4-5",
 "claude-haiku-4-5",
 "claude-opus-4-1",
 "gemini-2.5-flash",
 "gemini-2.5-pro",
 "deepseek-chat",
 "deepseek-reasoner",
)
