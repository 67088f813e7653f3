"""The code in docs/forecasting.md runs as written and its statements hold."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import forecasting as F

DOC = Path(__file__).resolve().parents[2] / "docs" / "forecasting.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_doc_examples_run_in_order():
    blocks = _blocks()
    assert len(blocks) >= 5
    ns: dict = {}
    for code in blocks:
        exec(compile(code, str(DOC), "exec"), ns)      # each block's asserts must hold
    assert ns["fc"].shape == (5, 4)
    assert set(ns["sel"].columns) >= {"method", "score"}
    assert ns["pmf"].tail_mass.max() <= 1e-6
    assert ns["q95"].shape == (5,) and ns["score"].shape == (5,)


def test_doc_method_table_lists_every_registered_method():
    text = DOC.read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.M))
    assert set(F.available_methods()) <= rows


def test_doc_defaults_match_the_registry():
    """The defaults the page states (alpha = 0.1, alpha_d = alpha_p = 0.1, phi = 1,
    season_length = 12) are the registry's."""
    d = {m: F.METHODS[m].defaults for m in F.available_methods()}
    assert d["croston"]["alpha"] == d["sba"]["alpha"] == d["ses"]["alpha"] == 0.1
    assert d["tsb"]["alpha_d"] == d["tsb"]["alpha_p"] == 0.1
    assert d["holt"]["phi"] == 1.0 and d["holt_winters"]["season_length"] == 12
    assert np.array_equal(F.forecast(np.ones((1, 8)), 2, "sba", factor=0.95),
                          F.forecast(np.ones((1, 8)), 2, "sba"))
