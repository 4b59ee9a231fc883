"""Where prices come from: the built-in table and dataset, then the user's pricing file, the project's
`mma_pricing.toml` and `MMA_PRICE_*` variables, in rising precedence. `load_price_book` builds the PriceBook
that the app passes to everything that prices a call."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..files import user_config_dir
from .book import PriceBook
from .overrides import Overrides, PricingConfigError, load_env, load_pricing_file
from .table import BUILTIN_PRICES

PROJECT_PRICING_NAME = "mma_pricing.toml"


def user_pricing_file() -> Path:
 """The user-level pricing file (in the user config folder; MMA_CONDUCTOR_CONFIG_DIR overrides the folder)."""
 return user_config_dir() / "pricing.toml"


def project_pricing_file(project_dir: Path | str) -> Path:
 """The project-level pricing file: `mma_pricing.toml` at the project root."""
 return Path(project_dir) / PROJECT_PRICING_NAME


def load_price_book(
 project_dir: Path | str | None = None,
 *,
 user_file: Path | str | None = None,
 env: Mapping[str, str] | None = None,
 use_dataset: bool = True,
 fallback_model: str | None = None,
) -> PriceBook:
 """A price book from the built-in table and dataset, then the user file, the project file and the
 environment, in rising precedence. Everything is validated first; any error raises PricingConfigError."""
 table = dict(BUILTIN_PRICES)
 probe = PriceBook(table, use_dataset=use_dataset)
 overrides = Overrides()
 overrides = load_pricing_file(Path(user_file) if user_file else user_pricing_file(), overrides)
 if project_dir is not None:
  overrides = load_pricing_file(project_pricing_file(project_dir), overrides)
 overrides = load_env(os.environ if env is None else env, table, overrides)
 table.update(overrides.merged_into(table, probe.price))
 book = PriceBook(table, use_dataset=use_dataset, fallback_model=fallback_model or overrides.fallback_model)
 if book.fallback_model and book.price(book.fallback_model) is None:
  raise PricingConfigError(f"fallback model {book.fallback_model!r} has no price itself")
 book.sources = overrides.origins
 return book
