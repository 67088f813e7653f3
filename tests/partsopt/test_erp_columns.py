"""partsopt.erp.columns: text normalisation and key order match plain Python."""
from __future__ import annotations

import numpy as np
import pandas as pd

from partsopt.erp.columns import as_text, key_order, strip_text


def test_key_order_is_pythons_stable_sort():
    rng = np.random.default_rng(0)
    a = np.array([rng.choice(["a", "B", "é", "ab", "", "Z9", "zz", "ä", "日本"]) for _ in range(3000)],
                 dtype=object)
    b = np.array([rng.choice(["1", "10", "2", "x", "é"]) for _ in range(3000)], dtype=object)
    reference = sorted(range(len(a)), key=lambda i: (a[i], b[i]))  # stable, code-point order
    assert key_order(a, b).tolist() == reference


def test_as_text_and_strip_text():
    assert as_text(pd.Series(["a", None, "b"], dtype="string")).tolist() == ["a", "", "b"]
    assert as_text(pd.Series(["a", np.nan])).tolist() == ["a", ""]
    assert as_text(pd.Series([7, 8])).tolist() == ["7", "8"]
    values = np.array(["x", " y ", "\tz"], dtype=object)
    assert strip_text(values).tolist() == [v.strip() for v in values]
    clean = np.array(["x", "y"], dtype=object)
    assert strip_text(clean) is clean  # nothing to strip: no copy
