"""The layering of src/mma_conductor, checked on the real import graph (every import, also those inside
functions): no cycle between modules, and no import against the layer order

 files <- pricing (and cost_tracker, its public face) <- providers <- engine <- app <- gui <- cli
 ledger beside engine: it imports pricing and files only; app wires engine and ledger together.
"""

from __future__ import annotations

import ast
from pathlib import Path

from mma_conductor.engine.tickets import find_cycle

PACKAGE = "mma_conductor"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE

# What each layer may import (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
 "files": frozenset(),
 "pricing": frozenset({"files"}),
 "cost_tracker": frozenset({"files", "pricing"}),
 "providers": frozenset({"files", "pricing"}),
 "engine": frozenset({"files", "pricing", "providers"}),
 "ledger": frozenset({"files", "pricing"}),
 "app": frozenset({"files", "pricing", "providers", "engine", "ledger"}),
 "gui": frozenset({"files", "pricing", "app"}),
 "cli": frozenset({"__init__", "files", "pricing", "cost_tracker", "providers", "engine", "ledger", "app", "gui"}),
 "__init__": frozenset(),
}


def module_name(path: Path) -> str:
 parts = path.relative_to(SRC.parent).with_suffix("").parts
 return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
 parts = module.split(".")
 return parts[1] if len(parts) > 1 else "__init__"


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
 if not node.level:
  return node.module or ""
 base = module.split(".") if is_package else module.split(".")[:-1]
 base = base[: len(base) - node.level + 1]
 return ".".join([*base, node.module] if node.module else base)


def imports_of(path: Path, modules: set[str]) -> set[str]:
 """The package's own modules that `path` imports anywhere in its body."""
 module, is_package = module_name(path), path.name == "__init__.py"
 found: set[str] = set()
 for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
  if isinstance(node, ast.Import):
   found.update(alias.name for alias in node.names)
  elif isinstance(node, ast.ImportFrom):
   target = resolve(module, is_package, node)
   submodules = {f"{target}.{alias.name}" for alias in node.names} & modules
   # `from .. import cost_tracker` depends on the submodule; the package's __init__ only holds the version.
   found.update(submodules if submodules else {target})
 return {name for name in found if name in modules and name != module}


def import_graph() -> dict[str, set[str]]:
 paths = sorted(SRC.rglob("*.py"))
 modules = {module_name(path) for path in paths}
 return {module_name(path): imports_of(path, modules) for path in paths}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
 bad = []
 for module, targets in sorted(graph.items()):
  layer = layer_of(module)
  allowed = ALLOWED[layer] | {layer}
  bad += [f"{module} -> {target}" for target in sorted(targets) if layer_of(target) not in allowed]
 return bad


def test_every_module_belongs_to_a_known_layer():
 unknown = sorted({layer_of(module) for module in import_graph()} - set(ALLOWED))
 assert not unknown, f"modules outside the named layers: {unknown}; add the layer to ALLOWED and the docs"


def test_no_import_cycle():
 cycle = find_cycle(import_graph())  # the ticket DAG's cycle finder serves any graph of names
 assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_no_import_against_the_layer_order():
 bad = upward_imports(import_graph())
 assert not bad, "imports against the layer order:\n" + "\n".join(bad)


def test_the_layer_check_sees_an_upward_import():
 graph = {
  "mma_conductor.pricing.money": {"mma_conductor.engine.events"},
  "mma_conductor.ledger.store": {"mma_conductor.pricing.money", "mma_conductor.app.controller"},
  "mma_conductor.gui.app": {"mma_conductor.app.controller"},
 }
 assert upward_imports(graph) == [
  "mma_conductor.ledger.store -> mma_conductor.app.controller",
  "mma_conductor.pricing.money -> mma_conductor.engine.events",
 ]


def test_the_graph_sees_imports_inside_functions():
 graph = import_graph()
 # cli imports the headless runner only inside a function: that edge must be in the graph.
 assert "mma_conductor.app.headless" in graph["mma_conductor.cli"]
