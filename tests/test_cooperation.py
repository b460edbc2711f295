"""The collaboration network on the real CORDIS files in ../shared/data/cooperation."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from parkscope import assess
from parkscope.cli import main
from parkscope.cooperation import CORDIS_ATTRIBUTION, analyse_network, load_network_settings
from parkscope.cooperation.kinds import assign_kinds
from parkscope.cooperation.predict import auc, binary, pair_scores
from parkscope.cooperation.records import field_of_topic, read_records, year_of_topic

COOP = Path(__file__).resolve().parents[2] / "shared" / "data" / "cooperation"
SEMI = COOP / "cordis-semiconductors-ev-organizations.json"
SEMI_PROJECTS = COOP / "cordis-semiconductors-ev-projects.json"
H2020 = COOP / "cordis-h2020-organizations-2023-sample.csv"
TOPICS = COOP / "cordis-h2020-topics.csv.gz"
#: Berlin-Adlershof (the Forschungsverbund Berlin and neighbours sit here).
ADLERSHOF = "13.50,52.42,13.56,52.44"


def _pandas_pairs(path: Path) -> tuple[int, pd.DataFrame]:
    """Independent count: actors, and shared projects of every pair, by a self-join in pandas."""
    raw = pd.read_json(path) if path.suffix == ".json" else pd.read_csv(path, dtype=str)
    p = raw[["projectID", "organisationID"]].astype(str).drop_duplicates()
    j = p.merge(p, on="projectID")
    j = j[j["organisationID_x"] < j["organisationID_y"]]
    w = j.groupby(["organisationID_x", "organisationID_y"]).size().rename("weight").reset_index()
    return p["organisationID"].nunique(), w.rename(columns={"organisationID_x": "a", "organisationID_y": "b"})


@pytest.fixture(scope="module")
def semi(cooperation_dir):
    return analyse_network(SEMI, projects=[SEMI_PROJECTS, TOPICS], bbox=ADLERSHOF, suggest_for="park", top=5)


@pytest.fixture(scope="module")
def h2020(cooperation_dir):
    return analyse_network(H2020, projects=[TOPICS])


@pytest.mark.parametrize("which", ["semi", "h2020"])
def test_counts_equal_an_independent_pandas_computation(which, request):
    result = request.getfixturevalue(which)
    n_actors, pairs = _pandas_pairs(SEMI if which == "semi" else H2020)
    assert result.summary["actors"] == n_actors == len(result.actors)
    links = result.links.assign(a=result.links["a"].astype(str), b=result.links["b"].astype(str))
    lo, hi = np.minimum(links["a"], links["b"]), np.maximum(links["a"], links["b"])
    ours = pd.DataFrame({"a": lo, "b": hi, "weight": links["weight"]}).sort_values(["a", "b"])
    theirs = pairs.sort_values(["a", "b"])
    assert result.summary["links"] == len(theirs)
    assert ours["weight"].sum() == theirs["weight"].sum() == result.summary["weight_total"]
    assert (ours.to_numpy() == theirs.to_numpy()).all()
    n = n_actors
    assert result.summary["density"] == pytest.approx(2 * len(theirs) / (n * (n - 1)), abs=1e-6)


def test_semiconductors_facts(semi):
    s = semi.summary
    assert (s["actors"], s["records"]["participations"], s["records"]["projects"]) == (765, 1075, 26)
    q = s["quality"]
    assert q["duplicate_participations"] == 1  # one organisation listed twice in one project
    assert q["multi_valued_kinds"] == 2  # 'PRC;PRC'
    assert q["unplaced_actors"] == 7 == int((~semi.actors["placed"]).sum())  # kept, not dropped
    assert semi.actors.loc[~semi.actors["placed"], "lon"].isna().all()
    assert s["attribution"] == [CORDIS_ATTRIBUTION]
    # dates: every link has its first project's start date (the projects file gives all 26)
    assert semi.links["first_date"].notna().all()
    assert (semi.links["first_date"] <= semi.links["last_date"]).all()


def _small_set(tmp_path: Path) -> Path:
    """The first 60 projects of the H2020 sample (by id): a graph networkx can check quickly."""
    raw = pd.read_csv(H2020, dtype=str)
    keep = sorted(raw["projectID"].unique())[:60]
    path = tmp_path / "small.csv"
    raw[raw["projectID"].isin(keep)].to_csv(path, index=False)
    return path


def test_degree_and_betweenness_equal_networkx(tmp_path):
    result = analyse_network(_small_set(tmp_path))
    g = nx.Graph()
    g.add_nodes_from(result.actors["actor_id"])
    for r in result.links.itertuples():
        g.add_edge(r.a, r.b, distance=1.0 / r.weight)
    assert g.number_of_edges() == len(result.links) > 200
    ref = nx.betweenness_centrality(g, weight="distance", normalized=False)
    deg = dict(g.degree())
    a = result.actors.set_index("actor_id")
    assert result.summary["betweenness"]["method"] == "exact"
    assert (a["degree"] == pd.Series(deg)).all()
    assert np.allclose(a["betweenness"], pd.Series(ref).reindex(a.index), rtol=1e-9, atol=1e-9)
    assert a["betweenness"].max() > 0


def test_sampled_betweenness_within_its_stated_error(tmp_path, h2020):
    cfg = tmp_path / "sampled.toml"
    cfg.write_text("[analysis]\nbetweenness_exact_work = 0\nbetweenness_samples = 600\n", encoding="utf-8")
    sampled = analyse_network(H2020, config=cfg)
    assert sampled.summary["betweenness"] == {
        **sampled.summary["betweenness"],
        "method": "sampled",
        "sources": 600,
    }
    exact = h2020.actors.set_index("actor_id")["betweenness"]
    top = exact.nlargest(10).index
    s = sampled.actors.set_index("actor_id").loc[top]
    z = (s["betweenness"] - exact.loc[top]).abs() / s["betweenness_se"]
    assert (z < 4).all(), z
    # same seed, same numbers
    again = analyse_network(H2020, config=cfg)
    assert np.array_equal(again.actors["betweenness"], sampled.actors["betweenness"])
    assert np.array_equal(again.actors["community"], sampled.actors["community"])


def test_cordis_type_mapping_and_name_tagging(tmp_path):
    rec = read_records(H2020)
    settings = load_network_settings()
    actors, unknown = assign_kinds(rec.actors, settings)
    assert unknown == {}
    by_type = actors[actors["kind_source"] == "type"]
    mapping = {"HES": "university", "REC": "research", "PRC": "firm", "PUB": "public", "OTH": "other"}
    assert (by_type["kind"] == by_type["kind_raw"].map(mapping)).all()
    kind = actors.set_index("name")["kind"]
    assert kind["CLUSTER VIOOIKONOMIAS KAI PERIVALLONTOS DYTIKIS MAKEDONIAS"] == "cluster"  # OTH
    assert kind["THE SEAFOOD INNOVATION CLUSTER AS"] == "cluster"  # PRC
    assert kind["MAGMA GEOPARK AS"] == "other"  # a geopark is not a science park
    assert kind["JAVNA USTANOVA PARK PRIRODE MEDVEDNICA"] == "public"  # nor is a nature park
    # the patterns are overridable from a TOML
    cfg = tmp_path / "kinds.toml"
    cfg.write_text('[names]\npark = ["GEOPARK"]\n', encoding="utf-8")
    actors2, _ = assign_kinds(rec.actors, load_network_settings(cfg))
    assert actors2.set_index("name")["kind"]["MAGMA GEOPARK AS"] == "park"
    bad = tmp_path / "bad.toml"
    bad.write_text('[cordis_types]\nHES = "school"\n', encoding="utf-8")
    with pytest.raises(Exception, match="not a kind"):
        load_network_settings(bad)


def test_topic_fields_and_years():
    topic = pd.Series(["ICT-37-2015-1", "MSCA-RISE-2015", "SP1-JTI-ENIAC-2012-3;SP1-JTI-ENIAC-2012-7", None])
    assert field_of_topic(topic).tolist()[:3] == ["ICT", "MSCA-RISE", "SP1-JTI-ENIAC"]
    years = year_of_topic(topic)
    assert years.dt.year.tolist()[:3] == [2015, 2015, 2012] and pd.isna(years.iloc[3])


def _agreements(tmp_path: Path) -> tuple[Path, Path]:
    actors = pd.DataFrame(
        {
            "id": ["zgc", "thu", "inc", "fund", "nolon", "ber"],
            "name": [
                "中关村软件园",
                "清华大学",
                "海淀创业孵化器",
                "某基金会",
                "北京某公司",
                "WISTA Adlershof",
            ],
            "kind": ["", "university", "", "foundation", "firm", "park"],
            "country": ["CN", "CN", "CN", "CN", "CN", "DE"],
            "lon": [116.28, 116.33, 116.30, 116.40, None, 13.53],
            "lat": [40.05, 40.00, 39.98, 39.90, None, 52.43],
        }
    )
    agreements = pd.DataFrame(
        {
            "a": ["zgc", "zgc", "zgc", "thu", "inc", "zgc", "fund", "ghost"],
            "b": ["thu", "thu", "thu", "inc", "inc", "ber", "nolon", "zgc"],
            "type": ["联合研发", "联合研发", "人才交流", "技术转移", "孵化", "园区共建", "投资", "其他"],
            "date": [
                "2024-05-01",
                "2024-05-01",
                "2025-03-01",
                "2024-06-01",
                "2024-06-01",
                "2025-07-20",
                "2025-01-01",
                "2025-02-02",
            ],
        }
    )
    a, b = tmp_path / "actors.csv", tmp_path / "agreements.csv"
    actors.to_csv(a, index=False)
    agreements.to_csv(b, index=False)
    return a, b


def test_agreements_with_chinese_names_and_every_odd_case_reported(tmp_path):
    actors_path, agreements_path = _agreements(tmp_path)
    r = analyse_network(agreements_path, actors=actors_path, bbox="116.2,39.95,116.35,40.1")
    q = r.summary["quality"]
    assert q["self_links"] == 1 and q["self_link_actors"] == ["inc"]
    assert q["duplicate_agreements"] == 1
    assert q["unknown_kinds"] == {"foundation": 1}
    assert q["unplaced_actors"] == 2  # 'nolon' and the undescribed 'ghost'
    assert q["actors_not_described"] == 1
    a = r.actors.set_index("actor_id")
    assert len(a) == 7  # nobody dropped
    assert a.loc["zgc", "kind"] == "park" and a.loc["inc", "kind"] == "incubator"  # by name: 软件园, 孵化器
    assert a.loc["fund", "kind"] == "other" and a.loc["ghost", "kind"] == "other"
    assert a.loc["inc", "degree"] == 1  # the self-link is not a link
    links = r.links.set_index(["a", "b"])
    assert links.loc[("zgc", "thu"), "weight"] == 2  # two distinct agreements, the duplicate counted once
    assert links.loc[("zgc", "thu"), "types"] == "人才交流;联合研发"
    assert str(links.loc[("zgc", "thu"), "first_date"].date()) == "2024-05-01"
    assert r.summary["links"] == 5 and r.summary["attribution"] == []
    park = r.summary["park"]
    assert park["actors_in_park"] == 3  # zgc, thu, inc
    assert park["partners"] == 2  # WISTA Adlershof and the undescribed 'ghost'
    assert park["reach"]["countries"] == {"DE": 1.0}  # 'ghost' has no country
    assert park["reach"]["distance"]["placed_partners"] == 1


def test_link_prediction_scores_by_hand():
    import scipy.sparse as sp

    # path 0-1-2 and a triangle 1-3-2: CN(0,2)=1 (via 1) … built by hand
    edges = [(0, 1), (1, 2), (1, 3), (3, 2), (2, 4)]
    i, j = zip(*edges, strict=True)
    a = sp.coo_matrix((np.ones(5), (i, j)), shape=(5, 5))
    a = binary(a + a.T)
    u, v = np.array([0, 0, 3]), np.array([2, 3, 4])
    assert pair_scores(a, u, v, "common_neighbours").tolist() == [1, 1, 1]
    k = {1: 3, 2: 3, 3: 2}
    assert pair_scores(a, u, v, "resource_allocation") == pytest.approx([1 / k[1], 1 / k[1], 1 / k[2]])
    assert pair_scores(a, u, v, "adamic_adar") == pytest.approx([1 / np.log(3), 1 / np.log(3), 1 / np.log(3)])
    beta = 0.1
    dense = a.toarray()
    katz = sum(beta**L * np.linalg.matrix_power(dense, L) for L in range(1, 5))
    assert pair_scores(a, u, v, "katz", beta=beta, max_length=4) == pytest.approx(katz[u, v])
    assert auc(np.array([3.0, 2.0]), np.array([1.0, 2.0])) == pytest.approx(0.875)


def test_park_view_and_suggestions_on_cordis(semi):
    park = semi.summary["park"]
    assert park["actors_in_park"] >= 1
    names = {p["name"] for p in park["park_actors"]}
    assert "FORSCHUNGSVERBUND BERLIN EV" in names
    assert park["partners"] > 10 and len(park["reach"]["countries"]) > 5
    assert park["brokers"] and park["brokers"][0]["betweenness"] >= park["brokers"][-1]["betweenness"]
    assert set(park["gaps"]) == {"countries", "kinds", "fields"}
    sug = semi.suggestions
    assert len(sug) == 5 and (sug["score"] > 0).all() and sug["score"].is_monotonic_decreasing
    partners = set(semi.links.loc[semi.links["a"].isin(names) | semi.links["b"].isin(names), "a"])
    assert not set(sug["actor_id"]) & partners
    assert sug["reasons"].str.contains("shared partners").all()


def _run(args: list[object]) -> int:
    return main([str(a) for a in args])


def test_cli_end_to_end(tmp_path, capsys):
    out = tmp_path / "net"
    code = _run(
        [
            "network",
            SEMI,
            "--projects",
            SEMI_PROJECTS,
            "--projects",
            TOPICS,
            "--bbox",
            ADLERSHOF,
            "--suggest",
            "park",
            "--top",
            "5",
            "-o",
            out,
        ]
    )
    assert code == 0
    assert {p.name for p in out.iterdir()} == {
        "actors.parquet",
        "links.parquet",
        "summary.json",
        "network.html",
        "suggestions.csv",
    }
    actors = pd.read_parquet(out / "actors.parquet")
    assert list(actors.columns[:10]) == [
        "actor_id",
        "name",
        "kind",
        "country",
        "lon",
        "lat",
        "degree",
        "strength",
        "betweenness",
        "community",
    ]
    assert list(pd.read_parquet(out / "links.parquet").columns) == [
        "a",
        "b",
        "weight",
        "first_date",
        "last_date",
        "types",
    ]
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {"actors", "links", "density", "cross_border_share"} <= set(s)
    html = (out / "network.html").read_text(encoding="utf-8")
    assert CORDIS_ATTRIBUTION in html and "中文" in html
    assert "<script src=" not in html and "cdn.bokeh.org" not in html
    # --park-of: the park of an assess output folder, read from its summary.json
    assessed = tmp_path / "assessed"
    assessed.mkdir()
    (assessed / "summary.json").write_text(
        json.dumps(
            {"area": {"park_wkt": "POLYGON ((13.5 52.42, 13.56 52.42, 13.56 52.44, 13.5 52.44, 13.5 52.42))"}}
        )
    )
    out2 = tmp_path / "net2"
    assert _run(["network", SEMI, "--park-of", assessed, "--no-report", "-q", "-o", out2]) == 0
    s2 = json.loads((out2 / "summary.json").read_text(encoding="utf-8"))
    assert s2["park"]["actors_in_park"] == s["park"]["actors_in_park"]
    # --boundary: the same box as a GeoJSON outline
    boundary = tmp_path / "park.geojson"
    ring = [[13.5, 52.42], [13.56, 52.42], [13.56, 52.44], [13.5, 52.44], [13.5, 52.42]]
    boundary.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    out3 = tmp_path / "net3"
    assert _run(["network", SEMI, "--boundary", boundary, "--no-report", "-q", "-o", out3]) == 0
    s3 = json.loads((out3 / "summary.json").read_text(encoding="utf-8"))
    assert s3["park"]["park_actors"] == s["park"]["park_actors"]


@pytest.mark.parametrize(
    "args",
    [
        ["--columns", "projekt=x"],  # unknown key
        ["--suggest", "park"],  # needs a park
        ["--bbox", "13.56,52.42,13.50,52.44"],  # empty box
        ["--suggest", "no-such-actor"],
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, args, capsys):
    out = tmp_path / "never"
    assert _run(["network", H2020, *args, "-o", out]) in (2, 4)  # 4: AreaError, a kind of input error
    assert not out.exists()
    assert "Error:" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n", encoding="utf-8")
    assert _run(["network", bad, "-o", out]) == 2
    assert not out.exists()


def test_the_subpackage_imports_nothing_above_it():
    import ast

    import parkscope.cooperation as coop

    # the walking network, the measures' indices, the diagnoses and everything above them
    above = (
        "parkscope.walk",
        "parkscope.measures.indices",
        "parkscope.diagnoses",
        "parkscope.pipeline",
        "parkscope.planning",
        "parkscope.outputs",
        "parkscope.assessment",
        "parkscope.batch",
        "parkscope.cli",
    )
    seen = set()
    for path in Path(coop.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: relative import (the package imports absolutely)"
                module = node.module or ""
                if module.startswith("parkscope"):
                    seen.add(module)
                    assert not module.startswith(above), f"{path.name} imports {module}"
    assert "parkscope.errors" in seen and "parkscope.files.io" in seen  # the check sees the imports


def test_any_participation_table_via_columns_parquet_and_gzip(tmp_path, h2020):
    raw = pd.read_csv(H2020, dtype=str)
    lat_lon = raw["geolocation"].str.split(",", expand=True)
    table = pd.DataFrame(
        {
            "grant": raw["projectID"],
            "org": raw["organisationID"],
            "org_name": raw["name"],
            "type": raw["activityType"],
            "cc": raw["country"],
            "x": lat_lon[1].astype(float),
            "y": lat_lon[0].astype(float),
        }
    )
    pq = tmp_path / "parts.parquet"
    table.to_parquet(pq)
    cols = {
        "project": "grant",
        "actor": "org",
        "name": "org_name",
        "kind": "type",
        "country": "cc",
        "lon": "x",
        "lat": "y",
    }
    mapped = analyse_network(pq, columns=cols)
    gz = tmp_path / "cordis.csv.gz"
    raw.to_csv(gz, index=False)
    gzipped = analyse_network(gz)
    for r in (mapped, gzipped):
        assert r.summary["links"] == h2020.summary["links"]
        assert r.summary["by_kind"] == h2020.summary["by_kind"]
        assert r.links["weight"].tolist() == h2020.links["weight"].tolist()
    assert np.allclose(mapped.actors["lon"], h2020.actors["lon"])


def test_assess_with_cooperation_records_feeds_the_open_dimension(osm_dir, cooperation_dir):
    """The two CORDIS organisations of Adlershof (Forschungsverbund Berlin, art photonics) and their
    partners, checked against a plain pandas self-join of the same records."""
    records = cooperation_dir / "cordis-h2020-organizations-2023-sample.csv"
    bbox = "13.520,52.425,13.540,52.438"
    a = assess(osm_dir / "berlin-adlershof.osm.gz", bbox=bbox, buffer_m=300, cooperation=records)
    coop = a.summary.to_dict()["cooperation"]
    table = pd.read_csv(records, dtype=str)
    lat = table["geolocation"].str.split(",").str[0].astype(float)
    lon = table["geolocation"].str.split(",").str[1].astype(float)
    w, s, e, n = map(float, bbox.split(","))
    park_orgs = set(table.loc[lon.between(w, e) & lat.between(s, n), "organisationID"])
    projects = set(table.loc[table["organisationID"].isin(park_orgs), "projectID"])
    partners = set(table.loc[table["projectID"].isin(projects), "organisationID"]) - park_orgs
    assert coop["actors_in_park"] == len(park_orgs) == 2
    assert coop["partners"] == len(partners) > 0
    entry = a.summary.to_dict()["five_park"]["open"]["indicators"]["cooperation_agreements"]
    assert entry["source"] == "network" and entry["value"] == len(partners) and entry["available"]
    # without records the indicator is missing (the user's own figure), never 0
    plain = assess(osm_dir / "berlin-adlershof.osm.gz", bbox=bbox, buffer_m=300)
    assert plain.summary.cooperation is None
    assert "cooperation_agreements" in plain.summary.five_park.open.missing
