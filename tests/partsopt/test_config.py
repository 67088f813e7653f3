"""Scenario configuration: defaults, unknown keys and out-of-range values."""
from __future__ import annotations

import numpy as np
import pytest

from partsopt.config import config_hash, default_config, parse_config_text, resolve_config, service_level_for
from partsopt.errors import ConfigError
from partsopt.io import read_config


def test_empty_file_is_the_default_scenario():
    assert parse_config_text("") == default_config()
    assert default_config()["service"]["level"] == 0.95


def test_values_merge_over_defaults():
    cfg = parse_config_text('name = "tight"\n[service]\nlevel = 0.9\nby_criticality = { A = 0.99 }\n'
                            '[forecast]\nmethod = "tsb"\n[budget]\ntotal = 250000\n')
    assert cfg["name"] == "tight" and cfg["service"]["level"] == 0.9
    assert cfg["service"]["by_criticality"] == {"A": 0.99, "B": None, "C": None}
    assert cfg["forecast"]["method"] == "tsb" and cfg["budget"]["total"] == 250000.0
    assert cfg["policy"]["type"] == "sS"  # untouched default
    np.testing.assert_allclose(service_level_for(cfg, ["A", "B", "C"]), [0.99, 0.9, 0.9])


def test_unknown_key_names_the_path_and_suggests():
    with pytest.raises(ConfigError) as info:
        parse_config_text("[service]\nlevle = 0.9\n", source="a.toml")
    msg = info.value.message
    assert "Unknown configuration key 'service.levle'" in msg
    assert "did you mean 'service.level'" in msg and "a.toml" in msg


@pytest.mark.parametrize("text,path,valid", [
    ("[service]\nlevel = 1.2", "service.level", "(0, 1)"),
    ("[service]\nlevel = 0", "service.level", "(0, 1)"),
    ("[service]\nby_criticality = { A = 1.0 }", "service.by_criticality.A", "(0, 1)"),
    ("[service]\ntarget = 'availability'", "service.target", "one of hit_rate, fill_rate"),
    ("[costs]\nholding_rate = -0.1", "costs.holding_rate", "[0, 5]"),
    ("[forecast]\nmethod = 'prophet'", "forecast.method", "one of auto, croston"),
    ("[forecast]\nhistory_periods = 'all'", "forecast.history_periods", "number"),
    ("[policy]\nmulti_echelon = 1", "policy.multi_echelon", "true/false"),
])
def test_out_of_range_and_wrong_type(text, path, valid):
    with pytest.raises(ConfigError) as info:
        parse_config_text(text)
    msg = info.value.message
    assert path in msg and valid in msg


def test_not_toml_and_section_not_a_table():
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config_text("[service\nlevel = 1")
    with pytest.raises(ConfigError, match="must be a table"):
        resolve_config({"service": 3})


def test_hash_is_stable_and_sensitive():
    a = default_config()
    b = default_config()
    assert config_hash(a) == config_hash(b)
    b["service"]["level"] = 0.96
    assert config_hash(a) != config_hash(b)


def test_read_config_file(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text("[service]\nlevel = 0.9\n")
    assert read_config(p)["service"]["level"] == 0.9
    assert read_config(None) == default_config()
    with pytest.raises(ConfigError, match="does not exist"):
        read_config(tmp_path / "missing.toml")
