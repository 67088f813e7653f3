"""SBC classification: published per-SKU statistics and counts on the auto data (O-5/O-6)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecasting as F

DATA = __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "forecasting"
PERIODS = [f"p{i:02d}" for i in range(1, 25)]
SOURCE_DISAGREES = {"SKU_2379", "SKU_2692"}   # 0-based rows 2378, 2691 (ORACLES O-6)


def _check_against_source(df: pd.DataFrame):
    y = df[PERIODS].to_numpy(float)
    res = F.classify(y, adi_origin="end", min_nonzero=0, index=df["sku"].to_numpy())
    np.testing.assert_allclose(res["adi"], df["src_avg_interval"], rtol=1e-7)
    ok = ~df["sku"].isin(SOURCE_DISAGREES).to_numpy()
    np.testing.assert_allclose(res["cv2"][ok], df["src_cv2"][ok], rtol=1e-5)
    assert not np.allclose(res["cv2"][~ok], df["src_cv2"][~ok], rtol=1e-5)
    return res


def test_o6_statistics_on_committed_extract():
    df = pd.read_csv(DATA / "auto_extract_302.csv")
    res = _check_against_source(df)
    # classes from the shipped statistics equal the classes from ours except where the
    # source's CV^2 is wrong
    from_src = F.sbc_class(df["src_avg_interval"], df["src_cv2"])
    ok = ~df["sku"].isin(SOURCE_DISAGREES).to_numpy()
    assert (res["demand_class"].astype(str).to_numpy()[ok] == from_src[ok]).all()


def test_o5_published_counts_full_auto_data(shared_real_file):
    path = shared_real_file("auto_3000_wide.csv")
    if path is None:
        pytest.skip("auto_3000_wide.csv (shared real data) not present; the committed "
                    "302-SKU extract is tested instead")
    df = pd.read_csv(path)
    from_src = pd.Series(F.sbc_class(df["src_avg_interval"], df["src_cv2"])).value_counts()
    assert from_src.to_dict() == {"smooth": 1271, "intermittent": 974, "erratic": 441,
                                  "lumpy": 314}
    res = _check_against_source(df)
    ours = res["demand_class"].value_counts()
    # from the demand itself, SKU_2692 (source CV^2 11.07, true 0.338) moves
    # erratic -> smooth; nothing else changes
    assert ours["smooth"] == 1272 and ours["erratic"] == 440
    assert ours["intermittent"] == 974 and ours["lumpy"] == 314


def test_adi_origins_and_cv2_definition():
    y = np.array([[0, 0, 4, 0, 2, 0, 0, 6, 0, 0.0]])
    st = F.demand_statistics(y, "start")
    assert st["adi"][0] == pytest.approx(8 / 3)          # (last index 7 + 1) / 3
    assert F.demand_statistics(y, "end")["adi"][0] == pytest.approx((10 - 2) / 3)
    assert F.demand_statistics(y, "between")["adi"][0] == pytest.approx(5 / 2)
    sizes = np.array([4, 2, 6.0])
    assert st["cv2"][0] == pytest.approx(sizes.var(ddof=1) / sizes.mean() ** 2)
    assert F.demand_statistics(y, "start", ddof=0)["cv2"][0] == pytest.approx(
        sizes.var() / sizes.mean() ** 2)
    assert st["periods_since_last"][0] == 2


def test_quadrants_boundaries_new_and_dead():
    assert list(F.sbc_class([1.32, 1.32, 1.33, 1.33], [0.49, 0.5, 0.49, 0.5])) == [
        "smooth", "erratic", "intermittent", "lumpy"]
    y = np.zeros((5, 20))
    y[0] = 3.0                       # smooth
    y[1, 15] = 1.0                   # one recent demand -> new
    y[2, :5] = [1, 9, 1, 9, 1]       # demand only early -> dead with dead_periods=12
    y[4, ::3] = [1, 10, 1, 10, 1, 10, 1]  # lumpy
    res = F.classify(y, min_nonzero=2, dead_periods=12)
    assert list(res["demand_class"].astype(str)) == ["smooth", "new", "dead", "dead", "lumpy"]
    res2 = F.classify(y, min_nonzero=2)
    assert list(res2["demand_class"].astype(str))[2:4] == ["erratic", "new"]
    assert set(res2["demand_class"].cat.categories) == set(F.CLASSES)


def test_classify_vectorised_matches_per_series(panel):
    whole = F.classify(panel, dead_periods=10)
    for r in range(0, panel.shape[0], 97):
        one = F.classify(panel[r:r + 1], dead_periods=10)
        assert one["demand_class"].iloc[0] == whole["demand_class"].iloc[r]
        np.testing.assert_allclose(one[["adi", "cv2"]].to_numpy(), whole[["adi", "cv2"]].iloc[[r]])


@pytest.mark.parametrize("kw,match", [({"adi_origin": "middle"}, "adi_origin"),
                                      ({"ddof": 2}, "ddof"), ({"dead_periods": 0}, "dead_periods"),
                                      ({"min_nonzero": -1}, "min_nonzero"),
                                      ({"cv2_cut": -0.1}, "cv2_cut"),
                                      ({"index": ["a"]}, "index")])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        F.classify(np.ones((2, 5)), **kw)
