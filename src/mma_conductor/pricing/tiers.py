"""The four tiers of the agent hierarchy and the role each plays: the names every layer groups calls by."""

TIER_NAMES = ("Tier 1", "Tier 2", "Tier 3", "Tier 4")
TIER_ROLES = {"Tier 1": "orchestrator", "Tier 2": "tech-lead", "Tier 3": "worker", "Tier 4": "qa"}
