"""The park statistics operators report ([park_data] with units): parsing, conversion, derived
figures, the scorecard, summary.json and `parkscope compare`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from parkscope.cli import main
from parkscope.diagnoses.fivepark import SCORECARD_BY_KEY, read_park_data
from parkscope.errors import ConfigError
from parkscope.outputs.ccd import run_ccd
from parkscope.outputs.compare import (
    PARK_STAT_FIELDS,
    benchmark_indices,
    compare_table,
    display_table,
    load_summaries,
)
from parkscope.settings.config import load_settings
from parkscope.settings.parkstats import (
    MU_M2,
    derived_figures,
    panel_row,
    park_statistics,
    parse_area,
    parse_count,
    parse_money,
    read_statistics,
)

# A science park's statistics as an operator reports them (units as written in Chinese reports).
PARK_TOML = """
[park_data]
output = "30 亿元"
land_area = "150 亩"
employees = "0.3 万人"
rd_staff = "450 人"
firms = "85 家"
high_tech_firms = 34
carrier_floor_area = { value = 9, unit = "万m²" }
year = 2023
"""


# --- units ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "yuan"), [
    ("2000 亿元", 2000e8), ("2000亿元", 2000e8), ("35,000 万元", 3.5e8), ("1.5e9 元", 1.5e9),
    ({"value": 2000, "unit": "亿元"}, 2000e8), ("12 CNY", 12.0), ("3 亿 RMB", 3e8), ("0.2 万亿元", 2e11),
])
def test_yuan_are_converted_to_yuan(raw, yuan):
    q = parse_money("output", raw)
    assert q.unit == "CNY" and q.value == pytest.approx(yuan)


@pytest.mark.parametrize(("raw", "value", "code"), [
    ("120 million EUR", 120e6, "EUR"), ("2.5 billion usd", 2.5e9, "USD"), ("3 亿美元", 3e8, "USD"),
    ("800 万欧元", 8e6, "EUR"), ({"value": 40, "unit": "GBP"}, 40.0, "GBP"), ("7 CHF", 7.0, "CHF"),
])
def test_other_currencies_keep_their_own_unit(raw, value, code):
    q = parse_money("output", raw)
    assert (q.unit, q.value) == (code, pytest.approx(value))


@pytest.mark.parametrize(("raw", "m2"), [
    ("1 亩", 666.6667), ("150 亩", 100_000.0), ("85 万m²", 850_000.0), ("85 万平方米", 850_000.0),
    ("1.2 km²", 1.2e6), ("1.2 km2", 1.2e6), ("2.6 平方公里", 2.6e6), ("40 ha", 400_000.0),
    ("40 公顷", 400_000.0), ("5000 m²", 5000.0), ({"value": 3, "unit": "KM2"}, 3e6),
])
def test_areas_are_converted_to_square_metres(raw, m2):
    assert parse_area("land_area", raw).value == pytest.approx(m2, rel=1e-6)


def test_a_mu_is_one_fifteenth_of_a_hectare():
    assert MU_M2 * 15 == pytest.approx(10_000.0)
    assert parse_area("land_area", "1500 亩").value == pytest.approx(1e6)  # 1 km² = 1500 亩


@pytest.mark.parametrize(("raw", "n"), [(700, 700), ("700 家", 700), ("8 万人", 80_000), ("120人", 120)])
def test_counts(raw, n):
    assert parse_count("firms", raw).value == n


@pytest.mark.parametrize(("key", "raw", "given", "accepted"), [
    ("output", "2000 km²", "'km²'", "亿元"),
    ("output", 2000, "no unit", "ISO 4217"),
    ("output", "5 XYZ", "'XYZ'", "USD or EUR"),
    ("land_area", "1.2 亿元", "'亿元'", "亩"),
    ("land_area", "3 acres", "'acres'", "km²"),
    ("carrier_floor_area", 850000, "no unit", "万m²"),
    ("employees", "80 km²", "'km²'", "人"),
])
def test_a_wrong_unit_names_the_key_the_unit_and_the_accepted_ones(key, raw, given, accepted):
    with pytest.raises(ConfigError) as err:
        read_park_data({key: raw})
    msg = str(err.value)
    assert f"park_data.{key}" in msg and given in msg and accepted in msg


@pytest.mark.parametrize(("park_data", "match"), [
    ({"output": "-5 亿元"}, ">= 0"),
    ({"employees": -3}, ">= 0"),
    ({"land_area": "0 km²"}, "> 0"),
    ({"output": "lots"}, "number then its unit"),
    ({"output": {"value": 1, "unit": "亿元", "currency": "CNY"}}, "value = <number>"),
    ({"output": True}, "finite number"),
    ({"employees": 100, "rd_staff": 150}, "exceeds park_data.employees"),
    ({"firms": 10, "high_tech_firms": 12}, "exceeds park_data.firms"),
    ({"year": "2023"}, "year"),
    ({"output_basis": "profit"}, "value_added"),
    ({"land_productivity": 300}, "derived, not given"),
    ({"employes": 100}, "Did you mean 'employees'"),
    ({"rd_staf": 100}, "Did you mean 'rd_staff'"),
])
def test_bad_values_and_unknown_keys_are_config_errors(park_data, match):
    with pytest.raises(ConfigError, match=match):
        read_park_data(park_data)


def test_a_config_file_with_a_bad_unit_fails_at_load(tmp_path):
    cfg = tmp_path / "parkscope.toml"
    cfg.write_text('[park_data]\nland_area = "1.2 acres"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"park_data.land_area in .*parkscope.toml has unit 'acres'"):
        load_settings(cfg)


# --- derived figures, by hand -------------------------------------------------------------------


def test_derived_figures_by_hand():
    stats = read_statistics({"output": "2000 亿元", "land_area": "1.2 km²", "employees": "8 万人",
                             "rd_staff": 20_000, "carrier_floor_area": "85 万m²", "firms": 700,
                             "high_tech_firms": "280 家"})
    d = {k: v["value"] for k, v in derived_figures(stats).items()}
    assert d["land_productivity"] == pytest.approx(2000 / 1.2)  # 亿元/km²
    # 2000 亿元 = 2e7 万元 over 1.2 km² = 1800 亩
    assert d["land_productivity_per_mu"] == pytest.approx(2e7 / 1800)
    assert d["output_per_employee"] == pytest.approx(2e7 / 80_000)  # 万元 per person
    assert d["jobs_per_ha"] == pytest.approx(80_000 / 120)
    assert d["rd_staff_share"] == pytest.approx(0.25)
    assert d["high_tech_firm_share"] == pytest.approx(0.4)
    assert d["floor_area_per_employee"] == pytest.approx(850_000 / 80_000)
    assert d["floor_area_ratio"] == pytest.approx(850_000 / 1.2e6)


def test_the_software_park_of_the_brief_scores_full_and_a_typical_zone_does_not():
    # 中关村软件园 2020: 3366.3 亿元 on 2.6 km² (北京青年报 2021-08-24): about 1,300 亿元/km²
    soft = read_park_data({"output": "3366.3 亿元", "land_area": "2.6 km²"})
    assert soft["land_productivity"] == pytest.approx(1294.7, abs=0.1)
    # 2011 national development zones, high-tech industrial land: 26,668.11 万元/ha (国土资源部)
    zone = read_park_data({"output": "26668.11 万元", "land_area": "1 ha"})
    assert zone["land_productivity"] == pytest.approx(266.68, abs=0.01)
    card = SCORECARD_BY_KEY["land_productivity"]
    assert (card.zero, card.full, card.dimension) == (0, 500, "innovative")


def test_foreign_currency_and_value_added_are_reported_not_scored():
    eur = {"output": "120 million EUR", "land_area": "50 ha", "employees": 3000, "rd_staff": 600}
    assert read_park_data(eur) == {"rd_staff_share": pytest.approx(0.2)}
    block = park_statistics(eur)
    assert block["currency"] == "EUR" and "land_productivity" not in block["derived"]
    assert block["derived"]["land_productivity_foreign"] == {
        **block["derived"]["land_productivity_foreign"], "value": 240.0, "unit": "million EUR/km²"}
    assert any("not scored" in n and "EUR" in n for n in block["notes"])
    va = {"output": "100 亿元", "land_area": "1 km²", "output_basis": "value_added"}
    assert "land_productivity" not in read_park_data(va)
    assert park_statistics(va)["derived"]["land_productivity"]["value"] == 100.0


def test_land_area_far_from_the_mapped_polygon_gets_a_note():
    block = park_statistics({"output": "10 亿元", "land_area": "2 km²"}, park_area_m2=0.1e6)
    assert block["mapped_park_area_km2"] == 0.1
    assert any("20× the mapped park polygon" in n for n in block["notes"])
    assert park_statistics({"output": "10 亿元", "land_area": "150 亩"}, park_area_m2=0.1e6)["notes"] == []
    missing = park_statistics({"output": "10 亿元"}, park_area_m2=0.1e6)
    assert missing["derived"] == {} and any("Give land_area" in n for n in missing["notes"])
    assert park_statistics({}) ["reported"] == {}


# --- end to end on a real extract -----------------------------------------------------------------


@pytest.fixture(scope="module")
def dongpark_out(osm_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("parkstats")
    cfg = root / "parkscope.toml"
    cfg.write_text(PARK_TOML, encoding="utf-8")
    out = root / "dongpark"
    code = main(["assess", str(osm_dir / "beijing-xueyuan-road.osm"), "--park", "东畔科创中心",
                 "--config", str(cfg), "-q", "-o", str(out)])
    assert code == 0
    return out


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def test_assess_writes_park_statistics_and_scores_them(dongpark_out):
    s = _summary(dongpark_out)
    ps = s["park_statistics"]
    assert ps["year"] == 2023 and ps["currency"] == "CNY"
    assert ps["reported"]["output"]["value"] == 30e8 and ps["reported"]["output"]["display"] == 30.0
    assert ps["reported"]["land_area"]["value"] == pytest.approx(1e5)  # 150 亩
    assert ps["reported"]["employees"]["value"] == 3000
    assert ps["reported"]["carrier_floor_area"]["display_unit"] == "万m²"
    d = {k: v["value"] for k, v in ps["derived"].items()}
    assert d["land_productivity"] == pytest.approx(300.0)  # 30 亿元 / 0.1 km²
    assert d["land_productivity_per_mu"] == pytest.approx(2000.0)  # 30e4 万元 / 150 亩
    assert d["jobs_per_ha"] == pytest.approx(300.0) and d["rd_staff_share"] == pytest.approx(0.15)
    assert d["floor_area_per_employee"] == pytest.approx(30.0)
    # the mapped polygon of 东畔科创中心 is about 0.1 km², like the land area given: no note
    assert ps["mapped_park_area_km2"] == pytest.approx(0.0995, abs=0.001) and ps["notes"] == []
    inno = s["five_park"]["innovative"]["indicators"]
    assert inno["land_productivity"]["score"] == 60.0  # 300 of 500 亿元/km²
    assert inno["rd_staff_share"]["score"] == 60.0  # 0.15 of 0.25
    assert {"land_productivity", "rd_staff_share"} <= set(s["five_park"]["innovative"]["available"])
    # the figures as given are kept for provenance
    assert s["provenance"]["parameters"]["park_data"]["land_area"] == "150 亩"


def test_the_report_has_a_table_of_the_park_statistics(dongpark_out):
    html = (dongpark_out / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="parkstats">'):]
    section = section[:section.index("</section>")]
    wanted = ("园区统计数据", "地均产出", "亿元/km²", "150 亩", "9 万m²",  # the figures as given
              ">300<", ">30.0<", "15%", "2,000")  # 亿元/km², m² per employee, R&D share, 万元/亩
    for text in wanted:
        assert text in section, text


def test_compare_shows_the_park_statistics(dongpark_out, tmp_path, capsys):
    # the same assessment, as a park reporting in euros and one reporting nothing
    s = _summary(dongpark_out)
    eur = tmp_path / "eur"
    eur.mkdir()
    s_eur = {**s, "park_statistics": park_statistics({"output": "90 million EUR", "land_area": "10 ha",
                                                       "employees": 2500, "rd_staff": 250}),
             "area": {**s["area"], "name": "EUR park"}}
    (eur / "summary.json").write_text(json.dumps(s_eur, ensure_ascii=False), encoding="utf-8")
    none = tmp_path / "none"
    none.mkdir()
    s_none = {k: v for k, v in s.items() if k != "park_statistics"} | {"area": {**s["area"], "name": "none"}}
    (none / "summary.json").write_text(json.dumps(s_none, ensure_ascii=False), encoding="utf-8")
    table = compare_table(load_summaries([dongpark_out, eur, none]), by="rd_staff_share")
    assert set(PARK_STAT_FIELDS) <= set(table.columns)
    rows = {r["park"]: r for r in table.to_dict(orient="records")}
    assert rows["东畔科创中心"]["land_productivity"] == pytest.approx(300.0)
    assert rows["东畔科创中心"]["firms"] == 85 and rows["东畔科创中心"]["employees"] == 3000
    assert rows["EUR park"]["rd_staff_share"] == pytest.approx(0.1)
    assert table["land_productivity"].isna().sum() == 2  # euros are not 亿元; "none" reported nothing
    assert list(table["park"][:2]) == ["东畔科创中心", "EUR park"]  # ranked by R&D staff share
    assert any("another currency" in n for n in table.attrs["notes"])
    headers = [h for h, _ in display_table(table)[0]]
    assert "亿元/km²" in headers and "empl" in headers
    code = main(["compare", str(dongpark_out), str(eur), "-o", str(tmp_path / "c.csv")])
    out = capsys.readouterr().out
    assert code == 0 and "亿元/km²" in out and "15%" in out
    assert "land_productivity" in (tmp_path / "c.csv").read_text(encoding="utf-8").splitlines()[0]


def test_park_statistics_join_the_industry_side_of_a_park_benchmark(dongpark_out, tmp_path):
    s = _summary(dongpark_out)
    other = tmp_path / "other"
    other.mkdir()
    s2 = {**s, "park_statistics": park_statistics({"output": "90 亿元", "land_area": "150 亩",
                                                    "employees": 6000, "rd_staff": 600})}
    (other / "summary.json").write_text(json.dumps(s2, ensure_ascii=False), encoding="utf-8")
    bench, model = benchmark_indices(load_summaries([dongpark_out, other]))
    # same OSM indicators in both: only the reported statistics tell the two apart
    assert list(model.weights) == ["stat_land_productivity", "stat_jobs_per_ha", "stat_rd_staff_share"]
    assert bench["industry"].iloc[1] > bench["industry"].iloc[0]


# --- a yearly panel for `parkscope ccd` ----------------------------------------------------------


def test_panel_rows_hold_one_unit_per_column_and_feed_ccd(tmp_path):
    years = [  # the same park, its figures written in the units of each year's report
        {"year": 2021, "output": "2.5e7 万元", "land_area": "3900 亩", "employees": "6.5 万人",
         "rd_staff": 9000, "firms": "600 家", "high_tech_firms": 240},
        {"year": 2022, "output": "2900 亿元", "land_area": "2.6 km²", "employees": 70_000,
         "rd_staff": "1.1 万人", "firms": 650, "high_tech_firms": 280},
        {"year": 2023, "output": {"value": 3.3e11, "unit": "元"}, "land_area": "260 ha",
         "employees": "7.6 万人", "rd_staff": 13_000, "firms": 700, "high_tech_firms": 330},
    ]
    rows = [panel_row(y) for y in years]
    assert [r["output_yi_yuan"] for r in rows] == pytest.approx([2500.0, 2900.0, 3300.0])
    assert [r["land_area_km2"] for r in rows] == pytest.approx([2.6, 2.6, 2.6])
    assert rows[0]["land_productivity_yi_yuan_per_km2"] == pytest.approx(2500 / 2.6)
    assert rows[1]["rd_staff_share"] == pytest.approx(11_000 / 70_000)
    assert panel_row({"output": "3 million EUR"})["output_million_EUR"] == pytest.approx(3.0)
    panel = tmp_path / "panel.csv"
    pd.DataFrame(rows).to_csv(panel, index=False)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'id_column = "year"\n'
        '[indicators.land_productivity_yi_yuan_per_km2]\nsubsystem = "industry"\ndirection = "positive"\n'
        '[indicators.high_tech_firm_share]\nsubsystem = "industry"\ndirection = "positive"\n'
        '[indicators.rd_staff]\nsubsystem = "people"\ndirection = "positive"\n'
        '[indicators.rd_staff_share]\nsubsystem = "people"\ndirection = "positive"\n',
        encoding="utf-8",
    )
    result = run_ccd(panel, spec, tmp_path / "out.csv")
    assert list(result["year"]) == [2021, 2022, 2023]
    assert result["U_industry"].iloc[0] == 0.0 and result["U_industry"].iloc[2] == pytest.approx(1.0)
    assert result["D"].is_monotonic_increasing
