"""parkscope batch: parks table checks, one folder per park equal to a single `assess`, ranking.csv,
a failing park that does not stop the others, resume and --overwrite, the Dask workers.

Real data: three small parks of the Berlin-Adlershof extract (buffer 350 m, as the demo).
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import parkscope.batch as batch_module
from parkscope.batch import (
    BATCH_MARKER,
    PARK_RECORD,
    RANKING_COLUMNS,
    ParkResult,
    ParkSpec,
    ranking_table,
    read_parks,
    run_batch,
    slugify,
    unique_slugs,
)
from parkscope.cli import main
from parkscope.errors import InputError

HUMBOLDT = "13.527,52.4287,13.5345,52.4338"
WISTA = "13.54,52.43,13.546,52.434"
DONGPAN_WKT = "POLYGON((13.548 52.424, 13.553 52.424, 13.553 52.427, 13.548 52.427, 13.548 52.424))"
FLAT_WKT = "POLYGON((13.53 52.43, 13.535 52.43, 13.54 52.43, 13.53 52.43))"  # a ring with no area
PARKS_CSV = f"""name,bbox,wkt,buffer_m
Humboldt Campus,"{HUMBOLDT}",,350
Wista Nord,"{WISTA}",,350
东畔科创中心,,"{DONGPAN_WKT}",350
Paris (outside),"2.35,48.85,2.36,48.86",,350
Flat polygon,,"{FLAT_WKT}",350
"""
OK_SLUGS = ["humboldt-campus", "wista-nord", slugify("东畔科创中心")]


@pytest.fixture(scope="module")
def adlershof(osm_dir) -> Path:
    return osm_dir / "berlin-adlershof.osm.gz"


@pytest.fixture(scope="module")
def parks_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("parks") / "parks.csv"
    path.write_text(PARKS_CSV, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def first(adlershof, parks_csv, tmp_path_factory):
    """One batch of the five parks, in this process (no Dask), and what the CLI returned."""
    out = tmp_path_factory.mktemp("batch") / "parks"
    code = main(["batch", str(adlershof), str(parks_csv), "--workers", "0", "--no-report", "-q",
                 "-o", str(out)])
    return out, code


def _write(tmp_path: Path, text: str, name: str = "parks.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the parks table -----------------------------------------------------------------------------


def test_slugs_are_ascii_unique_and_transliterate_chinese():
    accented = slugify("Humboldt-Universität Campus Adlershof")  # not ASCII: the name's hash is added
    assert accented.startswith("humboldt-universitat-campus-adlershof-")
    assert len(accented.rsplit("-")[-1]) == 8
    dongpan = slugify("东畔科创中心")
    assert dongpan.startswith("dong-pan-ke-chuang-zhong-xin-") and dongpan.isascii()
    assert slugify("!!!").startswith("park-")
    assert slugify("Wista Nord") == "wista-nord"
    # different names, same slug: both get the hash of their name
    slugs = unique_slugs(["Park A", "park-a", "Park B"])
    assert len(set(slugs)) == 3 and slugs[2] == "park-b" and slugs[0].startswith("park-a-")


def test_read_parks_csv_resolves_numbers_and_paths(tmp_path):
    path = _write(tmp_path, f'name,bbox,buffer_m,jobs,residents,config\nA,"{HUMBOLDT}",500,1200,'
                            'tables/res.csv:pop,my.toml\n')
    (spec,) = read_parks(path)
    assert spec.bbox == HUMBOLDT and spec.buffer_m == 500.0 and spec.jobs_total == 1200.0
    assert spec.jobs is None and spec.residents == f"{tmp_path / 'tables' / 'res.csv'}:pop"
    assert spec.config == str(tmp_path / "my.toml") and spec.row == "row 2"


def test_read_parks_gpkg_reprojects_to_wgs84(tmp_path):
    poly = shapely.from_wkt(DONGPAN_WKT)
    frame = gpd.GeoDataFrame({"name": ["东畔科创中心"], "buffer_m": [350.0]}, geometry=[poly], crs=4326)
    frame.to_crs(3857).to_file(tmp_path / "parks.gpkg", driver="GPKG")
    (spec,) = read_parks(tmp_path / "parks.gpkg")
    assert spec.bbox is None and spec.buffer_m == 350.0 and spec.row == "feature 1"
    back = shapely.from_wkt(spec.wkt)
    assert back.geom_type == "Polygon" and back.symmetric_difference(poly).area < 1e-12


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (f'park,bbox\nA,"{HUMBOLDT}"\n', ["no column 'name'", "Add a column 'name'"]),
        ("name,buffer_m\nA,300\n", ["neither a 'bbox' nor a 'wkt' column"]),
        (f'name,bbox\n,"{HUMBOLDT}"\n', ["row 2", "name is empty"]),
        (f'name,bbox,wkt\nA,"{HUMBOLDT}",\nB,,\n', ["row 3 (B)", "has neither"]),
        (f'name,bbox,wkt\nA,"{HUMBOLDT}","{DONGPAN_WKT}"\n', ["row 2 (A)", "not both"]),
        (f'name,bbox\nA,"{HUMBOLDT}"\nB,"{WISTA}"\nA,"{WISTA}"\n', ["row 4", "also in row 2", "rename"]),
        ('name,wkt\nA,"POLYGON((1 2, 3"\n', ["row 2 (A)", "not valid WKT"]),
        ("name,wkt\nA,POLYGON((1 2, 3 4, 5 6, 1 2))\n", ["row 2", "double quotes"]),
        ("name,wkt\nA,POINT(13.5 52.4)\n", ["row 2 (A)", "a Point", "POLYGON"]),
        ("name,wkt\nA,\"POLYGON((390000 5810000, 391000 5810000, 391000 5811000, 390000 5810000))\"\n",
         ["row 2 (A)", "not WGS84 degrees", "EPSG:4326"]),
        ('name,bbox\nA,"13.5,52.4,13.4"\n', ["row 2 (A)", "four numbers"]),
        (f'name,bbox,buffer_m\nA,"{HUMBOLDT}",-5\n', ["row 2 (A)", "buffer_m '-5'"]),
        ("name,bbox\n", ["holds no park"]),
    ],
)
def test_bad_parks_table_names_row_and_fix(tmp_path, text, words):
    with pytest.raises(InputError) as err:
        read_parks(_write(tmp_path, text))
    for word in words:
        assert word in str(err.value)


def test_bad_parks_table_exits_2_and_writes_nothing(adlershof, tmp_path, capsys):
    bad = _write(tmp_path, f'name,bbox\nA,"{HUMBOLDT}"\nA,"{WISTA}"\n')
    out = tmp_path / "out"
    assert main(["batch", str(adlershof), str(bad), "--workers", "0", "-o", str(out)]) == 2
    assert "row 3" in capsys.readouterr().err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["parks.csv"]


# --- one batch -----------------------------------------------------------------------------------


def test_each_park_has_its_folder_and_a_failing_park_stops_no_other(first):
    out, code = first
    assert code == 1  # some parks failed: said at the end, after the others were assessed
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == sorted(OK_SLUGS)  # the failed parks left no folder, not even a partial one
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    for slug in OK_SLUGS:
        names = {p.name for p in (out / slug).iterdir()}
        assert {"summary.json", "run.json", "nodes.parquet", "cells.gpkg", PARK_RECORD} <= names
    assert (out / OK_SLUGS[2] / f"{OK_SLUGS[2]}.geojson").is_file()  # the polygon it was assessed with
    assert json.loads((out / BATCH_MARKER).read_text())["extract"] == "berlin-adlershof.osm.gz"


def test_ranking_has_one_row_per_park(first):
    out, _ = first
    ranking = pd.read_csv(out / "ranking.csv")
    assert len(ranking) == 5 and set(ranking["name"]) == {
        "Humboldt Campus", "Wista Nord", "东畔科创中心", "Paris (outside)", "Flat polygon"}
    ok = ranking[ranking["status"] == "ok"]
    assert list(ok["rank"]) == [1, 2, 3]
    assert ok["life_convenience_score"].is_monotonic_decreasing
    for slug, row in ok.set_index("slug").iterrows():
        s = json.loads((out / slug / "summary.json").read_text(encoding="utf-8"))
        assert row["life_convenience_score"] == s["life_convenience_score"]
        assert row["data_status"] == s["integration"]["status"]
        d = s["integration"]["coordination_D"]
        assert (pd.isna(row["coordination_D"]) and d is None) or row["coordination_D"] == d
    for col in ("industry", "city", "people", "coordination_D", "class_en", "lag_type",
                "life_convenience_score_workers", "life_convenience_score_residents"):
        assert col in ranking.columns
    failed = ranking[ranking["status"] == "failed"].set_index("name")
    assert failed["rank"].isna().all() and list(failed.index) == ["Paris (outside)", "Flat polygon"]
    assert "holds no OpenStreetMap data" in failed.loc["Paris (outside)", "message"]
    assert "no area" in failed.loc["Flat polygon", "message"]
    # what parkscope warned of, per park (a 350 m buffer is below the 1600 m search radius)
    assert ok["warnings"].str.contains("smaller than the search radius").all()


def test_ranking_of_parks_that_all_failed_has_their_rows_and_no_rank():
    table = ranking_table([ParkResult("A", "a", "failed", "outside"), ParkResult("B", "b", "error", "bug")])
    assert list(table["name"]) == ["A", "B"] and table["rank"].isna().all()
    assert list(table.columns[:len(RANKING_COLUMNS)]) == list(RANKING_COLUMNS)
    assert "coordination_D" in table.columns and table["life_convenience_score"].isna().all()


@pytest.mark.parametrize("slug", ["humboldt-campus", slugify("东畔科创中心")])
def test_batch_summary_equals_a_single_assess_byte_for_byte(first, adlershof, tmp_path, slug):
    out, _ = first
    run = json.loads((out / slug / "run.json").read_text(encoding="utf-8"))
    args = shlex.split(run["command"])
    assert args[:3] == ["parkscope", "assess", str(adlershof)] and args[-2:] == ["-o", "OUTDIR"]
    single = tmp_path / "single"
    assert main([*args[1:-2], "--no-report", "-q", "-o", str(single)]) == 0
    assert (single / "summary.json").read_bytes() == (out / slug / "summary.json").read_bytes()
    assert (single / "cells.parquet").read_bytes() == (out / slug / "cells.parquet").read_bytes()


# --- resume, overwrite, refusals -----------------------------------------------------------------


def test_resume_skips_done_parks_and_reruns_failed_and_changed_ones(first, adlershof, parks_csv, tmp_path,
                                                                    monkeypatch):
    out, _ = first
    copy = tmp_path / "resume"
    _copy_tree(out, copy)
    before = {slug: (copy / slug / "summary.json").stat().st_mtime_ns for slug in OK_SLUGS}
    changed = parks_csv.read_text(encoding="utf-8").replace(f'"{WISTA}",,350', f'"{WISTA}",,300')
    table = _write(tmp_path, changed)
    assessed: list[str] = []
    real = batch_module.assess

    def counting(*args, **kwargs):
        assessed.append(kwargs.get("bbox") or str(kwargs.get("boundary")))
        return real(*args, **kwargs)

    monkeypatch.setattr(batch_module, "assess", counting)
    result = run_batch(adlershof, table, copy, workers=0, report=False)
    status = {r.name: r.status for r in result.results}
    assert status == {"Humboldt Campus": "skipped", "东畔科创中心": "skipped", "Wista Nord": "ok",
                      "Paris (outside)": "failed", "Flat polygon": "failed"}
    assert len(assessed) == 3  # the changed park and the two that failed; nothing else
    assert (copy / "humboldt-campus" / "summary.json").stat().st_mtime_ns == before["humboldt-campus"]
    assert json.loads((copy / "wista-nord" / PARK_RECORD).read_text())["buffer_m"] == 300.0
    ranking = pd.read_csv(copy / "ranking.csv")
    assert len(ranking) == 5 and set(ranking.loc[ranking["rank"].notna(), "status"]) == {"ok", "skipped"}
    assert ranking.loc[ranking["rank"].notna(), "warnings"].str.contains("search radius").all()  # kept


def test_overwrite_restarts_and_other_folders_are_refused(first, adlershof, osm_dir, tmp_path):
    out, _ = first
    copy = tmp_path / "again"
    _copy_tree(out, copy)
    (copy / "stale-park").mkdir()  # a park no longer in the table: gone after --overwrite
    two = [ParkSpec("Humboldt Campus", "humboldt-campus", "row 2", bbox=HUMBOLDT, buffer_m=350.0)]
    with pytest.raises(InputError, match="another -o folder|--overwrite"):
        run_batch(osm_dir / "monaco.osm.pbf", two, copy, workers=0, report=False)  # another extract
    result = run_batch(adlershof, two, copy, workers=0, report=False, overwrite=True)
    assert [r.status for r in result.results] == ["ok"]
    assert sorted(p.name for p in copy.iterdir()) == [BATCH_MARKER, "humboldt-campus", "ranking.csv"]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    for overwrite in (False, True):
        with pytest.raises(InputError, match="not an earlier parkscope result"):
            run_batch(adlershof, two, foreign, workers=0, overwrite=overwrite)
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]


def test_cli_prints_a_line_per_park_when_it_resumes(first, adlershof, parks_csv, tmp_path, capsys):
    out, _ = first
    copy = tmp_path / "cli"
    _copy_tree(out, copy)
    capsys.readouterr()
    code = main(["batch", str(adlershof), str(parks_csv), "--workers", "0", "--no-report", "-o", str(copy)])
    err = capsys.readouterr().err
    assert code == 1 and "2 of 5 parks were not assessed (Paris (outside), Flat polygon)" in err
    lines = [x for x in err.splitlines() if x.startswith("[")]
    assert len(lines) == 5 and [x.split()[3] for x in lines] == ["1/5", "2/5", "3/5", "4/5", "5/5"]
    assert sum(" skipped " in x for x in lines) == 3 and "humboldt-campus/): score " in err
    assert "5 parks: 3 skipped, 2 failed" in err


def test_workers_and_scheduler_together_are_refused(adlershof, parks_csv, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["batch", str(adlershof), str(parks_csv), "--workers", "2", "--scheduler",
                 "tcp://127.0.0.1:1", "-o", str(out)]) == 2
    assert "not both" in capsys.readouterr().err and not out.exists()


def test_a_park_that_breaks_while_written_leaves_no_folder(adlershof, tmp_path, monkeypatch):
    def broken(data, path):
        raise OSError(28, "No space left on device")  # after the assess outputs were staged

    monkeypatch.setattr(batch_module, "write_json", broken)
    specs = [ParkSpec("Humboldt Campus", "humboldt-campus", "row 2", bbox=HUMBOLDT, buffer_m=350.0)]
    out = tmp_path / "out"
    out.mkdir()
    (out / BATCH_MARKER).write_text(json.dumps({"extract": adlershof.name,
                                                "extract_sha256": batch_module._batch_stamp(adlershof)[
                                                    "extract_sha256"]}))
    result = run_batch(adlershof, specs, out, workers=0, report=False)
    (park,) = result.results
    assert park.status == "error" and park.message.startswith("OSError") and "No space left" in park.message
    assert sorted(p.name for p in out.iterdir()) == [BATCH_MARKER, "ranking.csv"]  # nothing half-written
    assert pd.read_csv(out / "ranking.csv")["status"].tolist() == ["error"]


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, copy_function=shutil.copy2)


# --- Dask ----------------------------------------------------------------------------------------


def test_two_dask_workers_give_the_same_results(first, adlershof, parks_csv, tmp_path):
    out, _ = first
    specs = [s for s in read_parks(parks_csv) if s.slug in OK_SLUGS[:2]] + [
        s for s in read_parks(parks_csv) if s.name == "Paris (outside)"]
    seen: list[tuple[str, int, int]] = []
    result = run_batch(adlershof, specs, tmp_path / "dask", workers=2, report=False,
                       progress=lambda r, done, total: seen.append((r.status, done, total)))
    assert result.workers == 2
    assert [t[1:] for t in seen] == [(1, 3), (2, 3), (3, 3)]  # one call per park as each finishes
    assert sorted(s for s, _, _ in seen) == ["failed", "ok", "ok"]
    for slug in OK_SLUGS[:2]:
        assert (tmp_path / "dask" / slug / "summary.json").read_bytes() == \
            (out / slug / "summary.json").read_bytes()
