"""PLANDIR/report.html in a real headless Chromium with the network blocked (as tests/test_browser.py,
whose helpers it uses): it loads offline with no error, draws every addition, and OSM names stay text."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_browser import SHOTS, _need_browser, _network, offline_driver

from parkscope import assess
from parkscope.cli import main
from parkscope.planning.plan import read_outputs

BBOX = "1.515,42.500,1.545,42.515"  # Andorra la Vella
EVIL = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture(scope="module")
def plandir(osm_dir, tmp_path_factory) -> Path:
    _need_browser()
    root = tmp_path_factory.mktemp("planbrowser")
    assess(osm_dir / "andorra.osm.pbf", bbox=BBOX, buffer_m=600.0).write(root / "assess", report=False)
    amen = pd.read_parquet(root / "assess" / "amenities.parquet")
    amen.loc[amen.index[amen["category"] == "dining"][0], "name"] = EVIL  # OSM text is written by anyone
    amen.to_parquet(root / "assess" / "amenities.parquet")
    target = read_outputs(root / "assess").summary.life_convenience_score_workers + 0.04
    assert main(["plan", str(root / "assess"), "--target", str(target), "--categories",
                 "dining,sports,groceries", "-o", str(root / "plan"), "-q"]) == 0
    return root / "plan"


@pytest.fixture(scope="module")
def browser(plandir):
    ready = "return !!(window.Bokeh && Object.values(Bokeh.index).some(v => v.model.name === 'ps-plan-map'))"
    driver = offline_driver((plandir / "report.html").as_uri(), ready)
    try:
        yield driver
    finally:
        driver.quit()


_ADDITIONS = """
const view = Object.values(Bokeh.index).find(v => v.model.name === 'ps-plan-map');
const r = view.model.renderers.find(r => r.name === 'ps-plan-additions');
const data = r.data_source.data, get = k => (data instanceof Map ? data.get(k) : data[k]);
return Array.from(get('order')).map(Number).sort((a, b) => a - b);
"""


def test_plan_report_loads_offline_and_draws_every_addition(browser, plandir):
    from PIL import Image

    urls, failed = _network(browser.page_logs["performance"])
    assert urls and urls[0].startswith("file://")
    outside = [u for u in urls if not u.startswith(("file://", "data:", "blob:"))]
    assert not outside and not failed, (outside, failed)
    severe = [e for e in browser.page_logs["browser"] + browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
    n = len(pd.read_csv(plandir / "plan.csv"))
    assert n >= 2 and browser.execute_script(_ADDITIONS) == list(range(1, n + 1))
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    canvas = browser.find_element("id", "plan-map")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    time.sleep(0.3)
    png = canvas.screenshot_as_png
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 50  # the base layer, cells and markers, not a blank box
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "plan-map.png").write_bytes(png)
