"""What the conductor needs to know about a project: who runs each tier, the escalation ladder, parallelism,
timeouts, the simulated provider and the budgets. Read from the project's TOML by app/project_config.py."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..pricing.budgets import BudgetSettings


@dataclass(frozen=True)
class TierConfig:
 """Who runs one tier: provider, model, and (for workers) the stronger models to escalate to."""

 provider: str
 model: str
 escalation: tuple[str, ...] = ()


DEFAULT_TIERS = {
 "Tier 1": TierConfig("gemini", "gemini-2.5-pro"),
 "Tier 2": TierConfig("gemini", "gemini-2.5-flash"),
 "Tier 3": TierConfig("gemini", "gemini-2.5-flash-lite", ("gemini-2.5-flash", "gemini-2.5-pro")),
 "Tier 4": TierConfig("gemini", "gemini-2.5-flash"),
}


@dataclass(frozen=True)
class SimulatedConfig:
 """The offline provider: deterministic for a seed, with a configurable latency and QA rejection rate."""

 seed: int = 7
 latency_ms: float = 400.0
 reject_rate: float = 0.25


@dataclass(frozen=True)
class ProjectConfig:
 """Everything the conductor needs to know about a project."""

 project_dir: Path
 tiers: dict[str, TierConfig] = field(default_factory=lambda: dict(DEFAULT_TIERS))
 max_parallel: int = 4
 max_escalations: int = 2
 simulated: SimulatedConfig = field(default_factory=SimulatedConfig)
 timeout_s: float = 120.0
 max_retries: int = 3
 budgets: BudgetSettings = field(default_factory=BudgetSettings)

 def with_tier(self, tier: str, config: TierConfig) -> ProjectConfig:
  """A copy with one tier changed."""
  return replace(self, tiers={**self.tiers, tier: config})
