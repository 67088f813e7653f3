"""DESIGN.md §2: the direction of imports.

* ``forecasting`` and ``policies`` are leaves: they import only numpy, scipy,
  pandas, statsmodels, pulp and the standard library - never ``partsopt`` and
  never each other.
* ``partsopt`` composes them.  Inside it only the edges (CLI, IO, ERP adapters,
  reports, the Dask backend) touch argv, files, databases and the terminal.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)
LEAF_ALLOWED = {"numpy", "scipy", "pandas", "statsmodels", "pulp"} | STDLIB
# modules of partsopt allowed to touch the outside world (files, argv, DB, terminal)
EDGE_PREFIXES = ("partsopt.cli", "partsopt.io", "partsopt.erp", "partsopt.report",
                 "partsopt.dask_backend", "partsopt.progress", "partsopt.demo",
                 "partsopt.excel", "partsopt.importers", "partsopt.runinfo")
EDGE_ONLY = {"sqlalchemy", "psycopg", "openpyxl", "argparse", "dask", "distributed",
             "matplotlib", "subprocess"}


def _modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        yield name, path


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import stays inside the package
                continue
            yield node.lineno, node.module or ""


@pytest.mark.parametrize("package", ["forecasting", "policies"])
def test_leaf_packages_import_only_the_numeric_stack(package):
    bad = []
    for name, path in _modules(package):
        for lineno, mod in _imports(path):
            top = mod.split(".")[0]
            if top == package:
                continue
            if top not in LEAF_ALLOWED:
                bad.append(f"{path.relative_to(ROOT)}:{lineno} imports {mod}")
    assert not bad, "leaf package imports outside its allowed set:\n" + "\n".join(bad)


def test_partsopt_core_does_not_touch_the_outside_world():
    bad = []
    for name, path in _modules("partsopt"):
        if name.startswith(EDGE_PREFIXES):
            continue
        for lineno, mod in _imports(path):
            top = mod.split(".")[0]
            if top in EDGE_ONLY:
                bad.append(f"{path.relative_to(ROOT)}:{lineno} imports {mod}")
    assert not bad, "core modules must take and return DataFrames; move IO to an edge:\n" + "\n".join(bad)


def test_only_the_cli_prints():
    """DESIGN.md §3.7: nothing but the CLI (and the progress bar on stderr) prints."""
    bad = []
    for package in ("partsopt", "forecasting", "policies"):
        for name, path in _modules(package):
            if name.startswith(("partsopt.cli", "partsopt.progress")):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, "print() outside the CLI:\n" + "\n".join(bad)


def test_the_three_packages_exist():
    for package in ("partsopt", "forecasting", "policies"):
        assert (ROOT / package / "__init__.py").is_file()
