"""The HTML report and its figures, read as files (the browser test opens them in Chromium)."""

from __future__ import annotations

import json
import re
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import shapely

import parkscope
from parkscope.outputs.report import html as report_html
from parkscope.outputs.report.basemap import basemap_layers
from parkscope.outputs.report.figures import find_cjk_font, write_figures

BBOX = "24.940,60.166,24.948,60.172"
#: OSM names are written by anyone: these must show as text and never run.
EVIL = ('<script>window.__pwned=1</script>', '"><img src=x onerror="window.__pwned=1">')
CJK = re.compile(r"[\u4e00-\u9fff]")


def inject_names(a) -> list[int]:
    """Give two named amenities of the park the EVIL names; return their rows."""
    am = a.amenities
    inside = shapely.contains_xy(a.area.park, am["lon"].to_numpy(), am["lat"].to_numpy())
    rows = np.nonzero(inside & (am["name"].astype(str) != "").to_numpy())[0][:2]
    ids = am["amenity_id"].to_numpy()[rows]
    for evil, aid in zip(EVIL, ids, strict=True):  # every access point of the amenity
        am.loc[am["amenity_id"] == aid, "name"] = evil
    return list(rows)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def assessment(helsinki):
    a = parkscope.assess(helsinki, bbox=BBOX)
    a.extract_path = helsinki
    return a


@pytest.fixture(scope="module")
def clean_html(assessment, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("clean") / "report.html"
    assessment.to_report(path)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def evil_report(assessment, tmp_path_factory) -> Path:
    import copy

    a = copy.copy(assessment)
    a.amenities = assessment.amenities.copy()
    inject_names(a)
    path = tmp_path_factory.mktemp("evil") / "report.html"
    a.to_report(path)
    return path


def test_report_is_one_file_that_fetches_nothing(clean_html):
    page = parse(clean_html)
    for tag, attrs in page.tags:
        for key in ("src", "href", "srcset", "data", "poster", "action"):
            value = attrs.get(key)
            if value is not None:
                assert value.startswith(("#", "data:")), f"<{tag} {key}={value!r}> points outside the file"
        assert tag not in ("iframe", "object", "embed", "base"), tag
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", clean_html), "CSS must not load anything"
    assert "Bokeh" in clean_html and len(clean_html) < 10e6
    assert "Map data © OpenStreetMap contributors, ODbL 1.0" in clean_html


def test_every_text_has_both_languages(clean_html):
    en = re.findall(r'<span class="en">(.*?)</span><span class="zh">(.*?)</span>', clean_html, flags=re.S)
    assert len(en) > 150
    assert clean_html.count('<span class="en">') == clean_html.count('<span class="zh">') == len(en)
    # a Chinese text is Chinese (numbers, names and units aside)
    chinese = [zh for _, zh in en if CJK.search(zh)]
    assert len(chinese) > 0.8 * len(en)
    data = json.loads(parse(clean_html).scripts[0].strip())
    kinds = {e.get("kind", e.get("prop")) for e in data["i18n"]}
    assert {"tooltips", "factors", "axis_label", "text"} <= kinds
    for e in data["i18n"]:
        assert e["en"] != e["zh"], e
        assert "{safe}" not in json.dumps(e), "tooltips show OSM text: never as HTML"


def test_summary_tells_the_diagnosis_in_words(assessment, clean_html):
    integ = assessment.summary.to_dict()["integration"]
    assert integ["lag_type"] == "industry_without_city"  # Helsinki's centre: offices, few homes
    assert "The park reads as 有产无城 — industry without city: the city index" in clean_html
    assert "园区呈现“有产无城”特征" in clean_html
    assert f"coupling coordination D = {integ['coordination_D']:.2f}" in clean_html
    assert "more jobs than the homes nearby can staff" in clean_html
    # the data sufficiency comes first, and its table is in the page
    summary_list = clean_html[clean_html.index('<ul class="summary">'):]
    assert summary_list.index("Data: walk network") < summary_list.index("Life-convenience score")
    assert 'id="data-quality"' in clean_html
    assert "Five-park scorecard (innovative, green, smart, humane, open): strongest" in clean_html
    assert assessment.summary.provenance.extract_sha256 in clean_html
    assert "OSM data date" in clean_html and assessment.summary.provenance.osm_timestamp in clean_html


def test_map_has_its_own_base_layer_and_the_layers(clean_html):
    for name in ("ps-base-buildings", "ps-base-water", "ps-base-green", "ps-base-major", "ps-base-path",
                 "ps-places", "ps-park", "ps-cells-score", "ps-cells-D", "ps-cells-lag", "ps-amen-0"):
        assert f'"{name}"' in clean_html, name
    assert 'id="no-basemap"' not in clean_html
    assert "Kluuvi" in clean_html  # a place name of the extract


def test_osm_text_is_escaped_everywhere(evil_report, clean_html):
    html = evil_report.read_text(encoding="utf-8")
    page, clean = parse(html), parse(clean_html)
    # the same tags as without the names: nothing the names wrote became markup
    assert [(t, sorted(a)) for t, a in page.tags] == [(t, sorted(a)) for t, a in clean.tags]
    assert not any(t == "img" for t, _ in page.tags)
    assert not any("onerror" in a for _, a in page.tags)
    for script in page.scripts:  # in JSON and JS the names are escaped, never raw markup
        assert "<script" not in script.lower() and "<img" not in script.lower()
    text = "".join(page.text)
    for evil in EVIL:
        assert evil in text  # shown as text in the list of the park's amenities


def test_figures_beside_the_report_with_chinese_text(assessment, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = write_figures(assessment, tmp_path)
    assert sorted(out["paths"]) == ["coverage.png", "map.png", "radar.png"]
    for path in out["paths"].values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    assert not [w for w in caught if "missing from font" in str(w.message)], "tofu: a glyph had no font"
    font = find_cjk_font()
    assert out["font"] == font
    if font is not None:
        assert "CJK" in font or "Hei" in font or "Han" in font or "SC" in font
    assert not list(tmp_path.glob(".*")), "temporary files left behind"


def test_report_writes_the_figures_next_to_it(evil_report):
    for name in ("map.png", "radar.png", "coverage.png"):
        assert (evil_report.parent / name).stat().st_size > 10_000


def test_base_layers_of_the_extract(helsinki):
    layers = basemap_layers(helsinki, (24.935, 60.163, 24.953, 60.175))
    assert set(layers) == {"streets", "rail", "water", "green", "buildings", "places"}
    streets, buildings = layers["streets"], layers["buildings"]
    assert len(streets) > 100 and set(streets["class"]) <= {"major", "secondary", "minor", "path"}
    assert len(buildings) > 50 and buildings.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert len(layers["green"]) > 0 and len(layers["places"]) > 0
    w, s, e, n = layers["streets"].total_bounds
    assert w >= 24.935 - 1e-9 and e <= 24.953 + 1e-9 and s >= 60.163 - 1e-9 and n <= 60.175 + 1e-9


def test_without_the_extract_the_report_says_so(assessment, tmp_path):
    import copy

    a = copy.copy(assessment)
    a.extract_path = None
    html = a.to_report(tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="no-basemap"' in html and "ps-base-buildings" not in html


def test_report_appears_whole_or_not_at_all(assessment, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(report_html, "render_report", broken)
    with pytest.raises(RuntimeError):
        assessment.to_report(tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".png"]


def test_andorra_report_stays_small(osm_dir, tmp_path):
    extract = osm_dir / "andorra.osm.pbf"
    a = parkscope.assess(extract, bbox="1.50,42.49,1.56,42.53")
    a.extract_path = extract
    path = a.to_report(tmp_path / "report.html")
    size = path.stat().st_size
    assert 500_000 < size < 10_000_000, f"{size / 1e6:.1f} MB"
    assert "Andorra la Vella" in path.read_text(encoding="utf-8")


def test_report_copes_with_missing_figures(assessment):
    """Older summaries (no diagnosis), a five-park dimension without data, no amenity names."""
    import copy

    a = copy.copy(assessment)
    a.summary = assessment.summary.model_copy(deep=True)
    a.summary.five_park.green.score = None
    a.amenities = assessment.amenities.assign(name="")
    html = report_html.render_report(a)
    assert "no data" in html and "无数据" in html
    assert "No named amenity stands in the park." in html
    a.summary.integration = None  # as an older summary.json without them reads
    a.summary.five_park = None
    a.cells = assessment.cells[["h3", "geometry", "n_nodes", "score"]]
    html = report_html.render_report(a)
    summary = html.split('<ul class="summary">')[1].split("</ul>")[0]
    assert "Life-convenience score:" in summary and "The park reads as" not in summary


def test_summary_warns_when_the_study_area_leaves_the_extract():
    from parkscope.outputs.report._text import summary_sentences
    from parkscope.settings.summary import AreaSummary, Summary

    # only the figures the sentences read (model_construct: no other key is needed)
    base = Summary.model_construct(life_convenience_score=5.0, categories={},
                                   area=AreaSummary.model_construct(outside_extract_share=0.89))
    texts = summary_sentences(base, "15")
    assert any("89% of the study area" in t.en and "89%" in t.zh for t in texts)
    base.area.outside_extract_share = 0.01
    assert not any("outside" in t.en for t in summary_sentences(base, "15"))


def test_base_map_draws_rivers_mapped_as_lines(osm_dir):
    from parkscope.outputs.report.basemap import basemap_layers

    water = basemap_layers(osm_dir / "andorra.osm.pbf", (1.50, 42.49, 1.56, 42.53))["water"]
    # the Valira and its streams run through Andorra la Vella as centre lines only
    assert (water.geom_type.isin(["LineString", "MultiLineString"])).sum() >= 10
