"""The Python API a notebook user sees."""

import parkscope


def test_assess_from_python(osm_dir, tmp_path):
    a = parkscope.assess(osm_dir / "monaco.osm.pbf", bbox="7.420,43.735,7.425,43.740", buffer_m=800)
    assert isinstance(a, parkscope.Assessment)
    assert 0 <= a.score <= 10
    assert len(a.nodes) == a.network.n_nodes and a.nodes.crs.to_epsg() == 4326
    assert {"h3", "score", "in_park"} <= set(a.cells.columns)
    html = a._repr_html_()
    assert "life-convenience score" in html and "<table>" in html
    assert f"D = {a.summary.integration.coordination_D:.2f}" in html
    assert a.summary.integration.class_.zh in html
    out = a.write(tmp_path / "out", report=False)
    assert (out / "summary.json").exists() and not (out / "report.html").exists()
