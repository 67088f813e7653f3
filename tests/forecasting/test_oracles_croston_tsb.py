"""Published Croston / SBA / TSB values (ORACLES.md O-1 .. O-4)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecasting as F
from forecasting.intermittent import tsb_sktime_kernel

DATA = __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "forecasting"


def test_pbs_data_facts(pbs):
    assert pbs.shape == (204,)
    assert int((pbs == 0).sum()) == 90 and pbs.sum() == 331


@pytest.mark.parametrize("alpha,expected,sba", [
    (0.10, 0.8688921083, 0.8254475028),
    (0.50, 0.6754646270, 0.5065984702),
    (0.05, 1.4058076892, 1.3706624970),
])
def test_o1_croston_pbs_equals_r(pbs, alpha, expected, sba):
    """O-1: R forecast::croston(y, h, alpha) on PBS; SBA = Croston x (1 - alpha/2)."""
    got = F.forecast(pbs, 5, "croston", alpha=alpha)
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    np.testing.assert_allclose(F.forecast(pbs, 2, "sba", alpha=alpha), sba, rtol=1e-9)


def test_o1_final_states(pbs):
    res = F.fit(pbs, "croston")
    # q-hat / a-hat at alpha 0.1 (R): 2.3374875 / 2.6901930
    assert res.level[0] == pytest.approx(2.3374875 / 2.6901930, rel=1e-7)


GOLDEN = np.array([0, 0, 2, 7, 0, 0, 0, 5, 0, 0, 0, 0, 3], dtype=float)


def test_o2_golden_series():
    got = F.forecast(GOLDEN, 3, "croston", alpha=0.1)
    np.testing.assert_allclose(got, 2.775 / 3.128, rtol=1e-12)
    assert got[0, 0] == pytest.approx(0.8871483375959078, rel=1e-12)
    # in-sample states after t = 3 and t = 7 (q/a): 2.5/2.8 and 2.75/2.92
    fitted = F.fit(GOLDEN, "croston").fitted[0]
    assert fitted[4] == pytest.approx(2.5 / 2.8, rel=1e-12)
    assert fitted[8] == pytest.approx(2.75 / 2.92, rel=1e-12)
    assert fitted[3] == pytest.approx(2.0 / 3.0, rel=1e-12)


def test_o2_update_with_zeros_then_demand():
    """Trailing zeros leave Croston unchanged; then a demand after interval 6 updates."""
    base = F.forecast(GOLDEN, 1, "croston")[0, 0]
    more = np.concatenate([GOLDEN, np.zeros(5)])
    assert F.forecast(more, 1, "croston")[0, 0] == pytest.approx(base, rel=1e-15)
    more4 = np.concatenate([more, [4.0]])
    q = 0.1 * 4 + 0.9 * 2.775
    a = 0.1 * 6 + 0.9 * 3.128
    assert F.forecast(more4, 1, "croston")[0, 0] == pytest.approx(q / a, rel=1e-12)


@pytest.mark.parametrize("a,b,expected", [
    (0.1, 0.1, 0.0151935911), (0.4, 0.05, 0.1062440833), (0.5, 0.05, 0.1163149575)])
def test_o3_tsb_pbs_sktime_variant(pbs, a, b, expected):
    """O-3: TSB with d0 = first demand and p0 = 0.5 (sktime/R test convention)."""
    got = tsb_sktime_kernel(pbs[None, :], alpha_d=a, alpha_p=b, p0=0.5)
    assert got[0] == pytest.approx(expected, rel=1e-8)


def test_o4_croston_raf_and_carparts():
    """O-4: R croston(z, h=1, alpha) on real RAF and carparts series."""
    raf = pd.read_csv(DATA / "raf_items_extract.csv").set_index("item")
    months = [c for c in raf.columns if c[:2] in ("19", "20")]
    expected = {1: (0.5974876577, 0.2688434112, 0.5676132748),
                2: (0.5580143318, 0.2541991531, 0.5301136152),
                3: (0.2366600932, 0.1328207448, 0.2248270885),
                100: (0.1616559272, 0.2230710544, 0.1535731308),
                4321: (0.4848469901, 0.7189749615, 0.4606046406)}
    y = raf.loc[list(expected), months].to_numpy(float)
    exp = np.array(list(expected.values()))
    np.testing.assert_allclose(F.forecast(y, 1, "croston", alpha=0.1)[:, 0], exp[:, 0], rtol=1e-9)
    np.testing.assert_allclose(F.forecast(y, 1, "croston", alpha=0.2)[:, 0], exp[:, 1], rtol=1e-9)
    np.testing.assert_allclose(F.forecast(y, 1, "sba", factor=0.95)[:, 0], exp[:, 2], rtol=1e-9)
    cp = pd.read_csv(DATA / "carparts_extract.csv")
    cexp = {"21056643": (0.2581611767, 0.2452531179), "21012606": (0.4869555687, 0.4626077902),
            "21021840": (0.1418965006, 0.1348016755)}
    yc = cp[list(cexp)].to_numpy(float).T
    ce = np.array(list(cexp.values()))
    np.testing.assert_allclose(F.forecast(yc, 1, "croston")[:, 0], ce[:, 0], rtol=1e-9)
    np.testing.assert_allclose(F.forecast(yc, 1, "sba")[:, 0], ce[:, 1], rtol=1e-9)
