import numpy as np
import pandas as pd
import pytest

from partsopt.installbase import blend_with_history, install_base_rates


def test_rates_from_install_base_and_bom():
    ib = pd.DataFrame({"location": ["D1", "D1", "D2"], "model": ["M1", "M2", "M1"], "units": [100.0, 10.0, 50.0]})
    bom = pd.DataFrame({"model": ["M1", "M2", "M2"], "part": ["P", "P", "Q"], "qty_per_unit": [2.0, 1.0, 1.0],
                        "failure_rate": [0.073, 0.365, np.nan]})
    r = install_base_rates(ib, bom).set_index(["part", "location"])["ib_rate_per_day"]
    # D1: 100*2*0.073/365 + 10*1*0.365/365 = 0.04 + 0.01
    assert r[("P", "D1")] == pytest.approx(0.05)
    assert r[("P", "D2")] == pytest.approx(50 * 2 * 0.073 / 365)
    assert ("Q", "D1") not in r.index  # no failure rate: no contribution


def test_blend():
    out = blend_with_history([1.0, 1.0, 1.0, np.nan], [3.0, 3.0, np.nan, 2.0], [0, 13, 5, 0], full_credibility=26)
    np.testing.assert_allclose(out, [3.0, 2.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="full_credibility"):
        blend_with_history([1.0], [1.0], [1], full_credibility=0)
