"""bench/accessibility.py runs with its optional peers missing: a note names each, never a crash.

Runs the script's ``main`` on the smallest real extract (Singapore Bayfront, ~1,000 nodes) with
one best-of-1 run and no scaling table, so each test takes a few seconds.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "accessibility.py"
SMALL = "singapore-bayfront"


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_accessibility", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(osm_dir: Path, capsys) -> tuple[int, str]:
    bench = _bench_module()
    code = bench.main(["--extracts", SMALL, "--data-dir", str(osm_dir), "--repeat", "1",
                       "--scaling", ""])
    return code, capsys.readouterr().out


def _result(out: str) -> dict[str, str]:
    lines = [x for x in out.splitlines() if x.startswith("RESULT ")]
    assert len(lines) == 1, out
    assert out.rstrip().endswith(lines[0])
    return dict(kv.split("=", 1) for kv in lines[0].split()[1:])


def _details_row(out: str) -> list[str]:
    """Cells of the second table's row for the extract (the one with the cityseer columns)."""
    rows = [x for x in out.splitlines() if x.startswith(f"| {SMALL} |")]
    assert len(rows) == 2, out
    return [c.strip() for c in rows[1].strip("|").split("|")]


def test_bench_runs_without_cityseer(osm_dir, monkeypatch, capsys):
    real_pandana = importlib.util.find_spec("pandana") is not None
    monkeypatch.setitem(sys.modules, "cityseer", None)  # import cityseer now fails
    code, out = _run(osm_dir, capsys)
    assert code == 0, out
    assert re.search(r"^note: cityseer is not installed", out, re.M), out
    assert _details_row(out)[-3:] == ["—", "—", "—"]  # cityseer_s, _diff_m, _mismatch
    result = _result(out)
    assert result["extract"] == SMALL and float(result["ours_s"]) > 0
    if real_pandana:  # pandana is timed both ways, the headline ratio on nearest_pois
        assert "note: pandana" not in out
        for key in ("pandana_s", "speedup", "pandana_with_precompute_s",
                    "speedup_with_precompute"):
            assert float(result[key]) > 0, key
        # speedup = pandana_s / ours_s before both were rounded to 1 ms
        pandana_s, ours_s = float(result["pandana_s"]), float(result["ours_s"])
        low = (pandana_s - 5e-4) / (ours_s + 5e-4)
        high = (pandana_s + 5e-4) / max(ours_s - 5e-4, 1e-9)
        assert low <= float(result["speedup"]) <= high
        assert float(result["max_abs_diff_m"]) < 0.1  # mm-truncated weights in pandana
    else:
        assert re.search(r"^note: pandana is not installed", out, re.M), out
        assert result["pandana_s"] == "nan" and result["speedup"] == "nan"


def test_bench_runs_with_no_peer(osm_dir, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "cityseer", None)
    monkeypatch.setitem(sys.modules, "pandana", None)
    code, out = _run(osm_dir, capsys)
    assert code == 0, out
    for peer in ("pandana", "cityseer"):
        assert re.search(rf"^note: {peer} is not installed.*pip install", out, re.M), out
    result = _result(out)
    assert float(result["ours_s"]) > 0 and int(result["nodes"]) > 500
    for key in ("pandana_s", "speedup", "pandana_with_precompute_s", "speedup_with_precompute",
                "max_abs_diff_m"):
        assert result[key] == "nan", key
    assert _details_row(out)[1:4] == ["—", "—", "—"]  # nan_mismatch, snap_differs, snap_gap_m
