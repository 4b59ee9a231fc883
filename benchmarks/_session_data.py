"""The session the cost-engine benchmarks measure: 4 tiers and 10 models across the four providers."""

TIERS = ("Tier 1", "Tier 2", "Tier 3", "Tier 4")
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
