"""`parkscope ccd`: coupling coordination of a panel, checked against hand computation."""

import math
from pathlib import Path

import pandas as pd
import pytest

from parkscope.cli import main
from parkscope.errors import ConfigError
from parkscope.outputs.ccd import coupling_panel, load_spec

PANEL = "year,gdp,firms,parks,pollution\n2019,10,5,2,8\n2020,20,10,4,6\n2021,30,20,6,2\n"
SPEC_EQUAL = """
id_column = "year"
[model]
weights = "equal"
[indicators.gdp]
subsystem = "industry"
direction = "positive"
[indicators.firms]
subsystem = "industry"
direction = "positive"
[indicators.parks]
subsystem = "city"
direction = "positive"
[indicators.pollution]
subsystem = "city"
direction = "negative"
"""


def _files(tmp_path: Path, spec: str = SPEC_EQUAL) -> tuple[Path, Path]:
    (tmp_path / "panel.csv").write_text(PANEL, encoding="utf-8")
    (tmp_path / "spec.toml").write_text(spec, encoding="utf-8")
    return tmp_path / "panel.csv", tmp_path / "spec.toml"


def test_equal_weights_against_hand_computation(tmp_path: Path):
    panel, spec = _files(tmp_path)
    out = coupling_panel(pd.read_csv(panel), load_spec(spec))
    # min-max by hand: gdp 0, .5, 1; firms 0, 1/3, 1; parks 0, .5, 1; pollution (cost) 0, 1/3, 1
    u_ind = [0.0, (0.5 + 1 / 3) / 2, 1.0]
    u_city = [0.0, (0.5 + 1 / 3) / 2, 1.0]
    assert out["U_industry"].tolist() == pytest.approx(u_ind)
    assert out["U_city"].tolist() == pytest.approx(u_city)
    # 2020: equal U -> C = 1, T = U, D = sqrt(U)
    assert out.loc[1, "C"] == pytest.approx(1.0)
    assert out.loc[1, "D"] == pytest.approx(math.sqrt(5 / 12))
    assert out.loc[1, "level"] == 7 and out.loc[1, "class_zh"] == "初级协调"
    assert out.loc[0, "D"] == 0 and out.loc[0, "level"] == 1
    assert out["lagging"].tolist() == ["balanced", "balanced", "balanced"]


def test_entropy_weights_and_lagging(tmp_path: Path):
    spec = SPEC_EQUAL.replace('weights = "equal"', 'weights = "entropy"\nshift = 0.01')
    panel, spec_path = _files(tmp_path, spec)
    df = pd.read_csv(panel)
    df.loc[2, "parks"] = 2  # the city stops growing in 2021
    out = coupling_panel(df, load_spec(spec_path))
    assert out.loc[2, "U_industry"] > out.loc[2, "U_city"]
    assert out.loc[2, "lagging"] == "city"
    assert ((out["C"] >= 0) & (out["C"] <= 1)).all()


def test_cli_writes_csv_and_refuses_typos(tmp_path: Path, capsys):
    panel, spec = _files(tmp_path)
    out = tmp_path / "res" / "ccd.csv"
    assert main(["ccd", str(panel), "--spec", str(spec), "-o", str(out)]) == 0
    res = pd.read_csv(out)
    assert list(res.columns) == ["year", "U_industry", "U_city", "C", "T", "D", "level", "class_zh",
                                 "class_en", "lagging"]
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC_EQUAL.replace('weights = "equal"', 'wieghts = "equal"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="Did you mean 'weights'"):
        load_spec(bad)
    out2 = tmp_path / "x.csv"
    code = main(["ccd", str(panel), "--spec", str(bad), "-o", str(out2)])
    assert code != 0 and not out2.exists()
    missing = tmp_path / "m.toml"
    missing.write_text(SPEC_EQUAL.replace("[indicators.gdp]", "[indicators.gdp_km2]"), encoding="utf-8")
    code = main(["ccd", str(panel), "--spec", str(missing), "-o", str(out2)])
    assert code != 0 and "gdp_km2" in capsys.readouterr().err and not out2.exists()
