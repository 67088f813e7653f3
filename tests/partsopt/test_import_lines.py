"""Free-text repair-history import (partsopt.importers.service_lines) and `partsopt import-lines`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from partsopt.cli import main
from partsopt.importers import import_service_lines, map_texts, normalise_text
from partsopt.importers.text_tables import exclusion_table, synonym_table
from partsopt.installbase import install_base_rates
from partsopt.io import load

EXTRACT = Path(__file__).resolve().parents[1] / "data" / "real_extracts" / "two_wheeler_service_lines_every70.csv"


def _lines(**extra):
    base = {
        "invoice_date": ["2018-01-02", "2018-01-02", "2018-01-09", "2018-01-20", "2018-02-01", "2018-03-01"],
        "vehicle_model": ["Bajaj Pulsar 150", "BAJAJ PULSAR 150", "BAJAJ CT 100", "BAJAJ CT 100", "BAJAJ CT 100",
                          "BAJAJ PULSAR 150"],
        "vehicle_no": ["KA01XXXX", "KA01XXXX", "KA02XXXX", "KA03XXXX", "KA02XXXX", "KA04XXXX"],
        "invoice_line_text": ["engine oil", "GENERAL SERVICE", "Disk  Pad.", "DISC PAD", "ENGINE OIL TOPUP",
                              "clutch cable"],
    }
    base.update(extra)
    return pd.DataFrame(base)


# --------------------------------------------------------------------- normalisation
@pytest.mark.parametrize("raw, want", [
    ("engine oil", "ENGINE OIL"),
    ("  Clutch   cable ", "CLUTCH CABLE"),
    ("FRONT NO PLATE WITH STIKER-", "FRONT NO PLATE WITH STICKER"),
    ("DISK PAD", "DISC PAD"),
    ("CLUTCH OVERHUAL", "CLUTCH OVERHAUL"),
    ("ENGINE OIL TOPUP", "ENGINE OIL"),          # word synonym TOPUP -> TOP UP, then phrase synonym
    ("TIMMING CHAIN PAD", "TIMING CHAIN PAD"),
    ("AIR FILTER XXXXX", "AIR FILTER"),          # anonymisation mask removed
    ("head-light/bulb", "HEAD LIGHT BULB"),
    (None, ""),
])
def test_normalise_text(raw, want):
    assert normalise_text([raw]).iloc[0] == want


def test_normalise_keeps_index_and_words_not_substrings():
    s = pd.Series(["BREAKER", "BREAK SHOE"], index=[10, 20])
    out = normalise_text(s)
    assert list(out.index) == [10, 20]
    assert list(out) == ["BREAKER", "BRAKE SHOE"]   # only whole words are replaced


def test_user_synonym_table_replaces_default():
    syn = pd.DataFrame({"kind": ["word"], "text": ["LUBE"], "means": ["OIL"]})
    assert normalise_text(["engine lube", "DISK PAD"], syn).tolist() == ["ENGINE OIL", "DISK PAD"]


# --------------------------------------------------------------------- labour filter
@pytest.mark.parametrize("text, status", [
    ("GENERAL SERVICE", "excluded"), ("CHAIN LUBRICATION", "excluded"), ("AIR FILTER CHECKUP", "excluded"),
    ("CLUTCH OVERHAUL", "excluded"), ("RC CARD", "excluded"), ("LABOUR", "excluded"),
    ("CONSUMABLES", "excluded"), ("", "excluded"),
    ("AIR FILTER", "part"), ("CHAIN SPROCKET", "part"), ("SERVICES BOOK", "part"),  # word match is whole-word
])
def test_exclusion_table(text, status):
    assert map_texts(pd.Series([text]))["status"].iloc[0] == status


def test_every_exclusion_row_can_fire():
    exc = exclusion_table()
    res = map_texts(exc["pattern"])
    assert (res["status"] == "excluded").all()
    assert (res["reason"].to_numpy() != "").all()
    syn = synonym_table()
    assert set(syn["kind"]) == {"word", "phrase"} and syn["text"].is_unique is not None


def test_mapping_overrides_rules():
    norm = normalise_text(["GENERAL SERVICE", "ENGINE OIL", "3M OIL"])
    mp = pd.DataFrame({"text": ["general service", "Engine oil", "3m oil"], "part": ["SERVICE_KIT", "P-100", ""]})
    res = map_texts(norm, mapping=mp)
    assert res["part"].tolist() == ["SERVICE_KIT", "P-100", ""]
    assert res["status"].tolist() == ["part", "part", "mapped_out"]


def test_bad_tables_raise_naming_the_parameter():
    with pytest.raises(ValueError, match="mapping must have columns"):
        map_texts(pd.Series(["X"]), mapping=pd.DataFrame({"txt": ["a"]}))
    with pytest.raises(ValueError, match="exclusions.match"):
        map_texts(pd.Series(["X"]), exclusions=pd.DataFrame({"pattern": ["A"], "match": ["regex"], "reason": ["r"]}))
    with pytest.raises(ValueError, match="default_unit_cost"):
        import_service_lines(_lines(), default_unit_cost=0.0)
    with pytest.raises(ValueError, match="default_lead_time_days"):
        import_service_lines(_lines(), default_lead_time_days=-1)
    with pytest.raises(ValueError, match="no text column"):
        import_service_lines(_lines().drop(columns=["invoice_line_text"]))
    with pytest.raises(ValueError, match="must hold dates"):
        import_service_lines(_lines(invoice_date=["2018-01-02", "soon", "2018-01-09", "2018-01-20", "2018-02-01",
                                                  "2018-03-01"]))


# --------------------------------------------------------------------- tables
def test_tables_by_hand():
    res = import_service_lines(_lines())
    t = res.tables
    d = t["demand"]
    # GENERAL SERVICE left out; ENGINE OIL TOPUP counts as engine oil; one line = one unit
    assert d["part"].tolist() == ["ENGINE_OIL", "DISC_PAD", "DISC_PAD", "ENGINE_OIL", "CLUTCH_CABLE"]
    assert (d["qty"] == 1).all() and (d["location"] == "WORKSHOP").all()
    assert d["line_id"].tolist() == ["L0000001", "L0000003", "L0000004", "L0000005", "L0000006"]
    assert sorted(t["parts"]["part"]) == ["CLUTCH_CABLE", "DISC_PAD", "ENGINE_OIL"]
    assert (t["parts"]["unit_cost"] == 1.0).all() and (t["parts"]["lead_time_days"] == 7.0).all()
    ib = t["install_base"].set_index("model")["units"]
    # Pulsar: vehicles KA01, KA04 (labour line's vehicle counts too); CT 100: KA02, KA03
    assert ib.to_dict() == {"BAJAJ CT 100": 2.0, "BAJAJ PULSAR 150": 2.0}
    years = (pd.Timestamp("2018-03-01") - pd.Timestamp("2018-01-02")).days + 1
    years /= 365.25
    bom = t["bom"].set_index(["model", "part"])["failure_rate"]
    assert bom[("BAJAJ CT 100", "DISC_PAD")] == pytest.approx(2 / (2 * years))
    assert bom[("BAJAJ CT 100", "ENGINE_OIL")] == pytest.approx(1 / (2 * years))
    assert bom[("BAJAJ PULSAR 150", "ENGINE_OIL")] == pytest.approx(1 / (2 * years))
    assert res.summary()["excluded_lines"] == 1


def test_quantity_column_is_used():
    res = import_service_lines(_lines(qty=["2", "1", "3", "0", "1", "4"]))
    d = res.tables["demand"]
    assert d["qty"].tolist() == [2, 3, 1, 4]      # the DISC PAD line with qty 0 is left out
    assert (res.lines["status"] == "no_quantity").sum() == 1


def test_failure_rates_reproduce_average_demand_on_the_extract():
    """Installed base × BOM rate (partsopt.installbase) = each part's mean daily demand (365.25/365)."""
    lines = pd.read_csv(EXTRACT)
    res = import_service_lines(lines)
    t = res.tables
    rates = install_base_rates(t["install_base"], t["bom"]).set_index("part")["ib_rate_per_day"]
    d = t["demand"]
    days = (pd.to_datetime(lines["invoice_date"]).max() - pd.to_datetime(lines["invoice_date"]).min()).days + 1
    per_day = d.groupby("part")["qty"].sum() / days
    np.testing.assert_allclose(rates.reindex(per_day.index).to_numpy() * 365 / 365.25, per_day.to_numpy(),
                               rtol=1e-9)


def test_row_order_does_not_change_tables():
    lines = pd.read_csv(EXTRACT)
    a = import_service_lines(lines).tables
    b = import_service_lines(lines.sample(frac=1.0, random_state=3)).tables
    for name in ("parts", "install_base", "bom"):
        pd.testing.assert_frame_equal(a[name].reset_index(drop=True), b[name].reset_index(drop=True))
    key = ["date", "part", "vehicle_model", "km"]
    pd.testing.assert_frame_equal(a["demand"].drop(columns="line_id").sort_values(key).reset_index(drop=True),
                                  b["demand"].drop(columns="line_id").sort_values(key).reset_index(drop=True))


# --------------------------------------------------------------------- CLI
def test_cli_import_lines_validates_and_plans(tmp_path, capsys):
    out = tmp_path / "ws"
    mp = tmp_path / "map.csv"
    mp.write_text("text,part\n3M OIL,\nengine oil,EO-10W30\n", encoding="utf-8")
    assert main(["import-lines", str(EXTRACT), "--out", str(out), "--mapping", str(mp)]) == 0
    text = capsys.readouterr().out
    assert "407 lines" in text
    for name in ("parts", "locations", "demand", "install_base", "bom", "import_texts"):
        assert (out / f"{name}.csv").is_file()
    assert main(["validate", str(out), "--strict"]) == 0
    data = load(out)
    assert "EO-10W30" in set(data.demand["part"]) and "ENGINE_OIL" not in set(data.demand["part"])
    assert "3M_OIL" not in set(data.demand["part"])
    assert main(["plan", str(out), "--as-of", "2018-10-01", "--out", str(tmp_path / "plan")]) == 0
    pol = pd.read_csv(tmp_path / "plan" / "policies.csv")
    assert "EO-10W30" in set(pol["part"])
    assert (pol["order_up_to"] >= pol["reorder_point"]).all()


def test_cli_import_lines_bad_input(tmp_path, capsys):
    assert main(["import-lines", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["import-lines", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "no date column" in capsys.readouterr().err
