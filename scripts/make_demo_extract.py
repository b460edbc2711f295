"""Make the demo extract bundled with parkscope: Berlin-Adlershof around the Humboldt-Universität campus.

Crops the shared Overpass export ``../shared/data/osm/berlin-adlershof.osm.gz`` (OSM data of
2023-01-28, © OpenStreetMap contributors, ODbL 1.0) to the bounding box of the demo's study area
— the polygon ``parkscope demo`` finds by name (``parkscope.cli.DEMO_PARK``) buffered by the
demo's buffer (``DEMO_BUFFER_M``) plus ``MARGIN_M`` — clipped to the box the export holds data
for (``DATA_BOX``), and writes ``src/parkscope/data/berlin-adlershof.osm.pbf``.

The export is an Overpass bounding-box query with complete ways: every one of its ways has a node
inside ``DATA_BOX`` (13.5212–13.5636 E, 52.4252–52.4504 N, about 2.9 × 2.8 km; the script
checks this), and the nodes beyond it (out to 13.454–13.609 E, 52.394–52.460 N) are only the far
ends of ways that cross its edge. Nothing else is mapped there, so the demo's study area must lie
inside ``DATA_BOX``: this is why the demo's buffer is small.

What is kept (the ``smart`` strategy of ``osmium extract``, done with pyosmium since the
osmium command-line tool may be absent):

- every node inside the box;
- every way with at least one node inside the box, complete: all its nodes, also those outside;
- every relation with a member kept above, and the member ways of the multipolygon relations
  among them complete, so that park, landuse and building multipolygons still assemble.

The PBF header declares the box (parkscope reads it as the extract's extent, so
``outside_extract_share`` is measured against it) and the source's data timestamp (``osm_base``
of the Overpass export), so reports name the OSM data date.

Usage (from the project root)::

    python scripts/make_demo_extract.py [--source FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import gzip
import math
import re
from collections.abc import Iterable
from pathlib import Path

import osmium

from parkscope.cli import DEMO_BUFFER_M, DEMO_PARK
from parkscope.inputs.area import BBox, area_from_park

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "osm" / "berlin-adlershof.osm.gz"
OUT = ROOT / "src" / "parkscope" / "data" / "berlin-adlershof.osm.pbf"
#: Extra ring beyond the study area, so that the streets at its edge keep their next junction.
MARGIN_M = 250.0
#: (W, S, E, N) of the Overpass query behind the source: the extent of its free-standing nodes
#: (tagged nodes in no way), rounded outwards to 1e-4 degrees. See :func:`check_data_box`.
DATA_BOX: BBox = (13.5212, 52.4252, 13.5636, 52.4504)


def crop_box(source: Path, park: str, buffer_m: float, margin_m: float, data_box: BBox) -> BBox:
    """Bounding box (W, S, E, N) of the named park buffered by ``buffer_m + margin_m``, within ``data_box``.

    Parameters
    ----------
    source : Path
        The OSM extract holding the park polygon.
    park : str
        Name of the park polygon (as for ``parkscope assess --park``).
    buffer_m, margin_m : float
        The demo's buffer and the extra margin, in metres.
    data_box : tuple of float
        The extent the source holds data for.

    Returns
    -------
    tuple of float
        The box, rounded outwards to 1e-4 degrees, then clipped to ``data_box``.

    Raises
    ------
    ValueError
        The study area (park + ``buffer_m``) does not lie inside ``data_box``.
    """
    study = area_from_park(source, park, buffer_m).read_bbox
    if not _box_within(study, data_box):
        raise ValueError(
            f"The study area of '{park}' + {buffer_m:g} m, {study}, reaches beyond the data of {source.name} "
            f"({data_box}): use a smaller buffer."
        )
    w, s, e, n = area_from_park(source, park, buffer_m + margin_m).read_bbox
    return (
        max(math.floor(w * 1e4) / 1e4, data_box[0]),
        max(math.floor(s * 1e4) / 1e4, data_box[1]),
        min(math.ceil(e * 1e4) / 1e4, data_box[2]),
        min(math.ceil(n * 1e4) / 1e4, data_box[3]),
    )


def _box_within(inner: BBox, outer: BBox) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def check_data_box(objects: Iterable[osmium.osm.OSMObject], data_box: BBox) -> None:
    """Check that every way reaches into ``data_box`` (what a bounding-box export holds).

    Parameters
    ----------
    objects : iterable of pyosmium objects
        The file's nodes and ways, ways with node locations (``FileProcessor(...).with_locations()``).
    data_box : tuple of float
        (W, S, E, N) in WGS84 degrees.

    Raises
    ------
    ValueError
        Naming a way whose extent misses ``data_box``: the source is not the export ``DATA_BOX``
        describes.
    """
    outside: list[int] = []
    for way in objects:
        if not way.is_way():
            continue
        lons = [n.lon for n in way.nodes if n.location.valid()]
        lats = [n.lat for n in way.nodes if n.location.valid()]
        if lons and not _boxes_meet((min(lons), min(lats), max(lons), max(lats)), data_box):
            outside.append(way.id)
    if outside:
        raise ValueError(
            f"{len(outside)} ways of the source lie wholly outside {data_box} (e.g. way/{outside[0]}): "
            "the source is not the Overpass export this script was written for; update DATA_BOX."
        )


def _boxes_meet(a: BBox, b: BBox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def overpass_timestamp(source: Path) -> str:
    """The ``osm_base`` date of an Overpass API XML export (``<meta osm_base="…"/>``).

    Raises
    ------
    ValueError
        The file's first 4 kB hold no ``osm_base``.
    """
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rb") as fh:
        head = fh.read(4096)
    m = re.search(rb'<meta\b[^>]*\bosm_base="([^"]+)"', head)
    if m is None:
        raise ValueError(f"{source} holds no <meta osm_base=…>: not an Overpass API export?")
    return m.group(1).decode("ascii")


def _in_box(lon: float, lat: float, box: BBox) -> bool:
    w, s, e, n = box
    return w <= lon <= e and s <= lat <= n


def select_ids(objects: Iterable[osmium.osm.OSMObject], box: BBox) -> tuple[set[int], set[int], set[int]]:
    """The ids of the nodes, ways and relations to keep (one pass over a sorted file).

    Parameters
    ----------
    objects : iterable of pyosmium objects
        The file's nodes, then ways, then relations (the order of OSM files).
    box : tuple of float
        (W, S, E, N) in WGS84 degrees.

    Returns
    -------
    nodes, ways, relations : set of int
        Nodes inside the box (the nodes of the kept ways are added by :func:`way_nodes`), ways
        with a node inside the box plus the member ways of kept multipolygons, and relations with
        a kept node or way as member.
    """
    nodes: set[int] = set()
    ways: set[int] = set()
    relations: set[int] = set()
    for obj in objects:
        if obj.is_node():
            if obj.location.valid() and _in_box(obj.location.lon, obj.location.lat, box):
                nodes.add(obj.id)
        elif obj.is_way():
            if any(ref.ref in nodes for ref in obj.nodes):
                ways.add(obj.id)
        elif obj.is_relation():
            members = [(m.type, m.ref) for m in obj.members]
            if any((t == "n" and r in nodes) or (t == "w" and r in ways) for t, r in members):
                relations.add(obj.id)
                if obj.tags.get("type") == "multipolygon":
                    ways.update(r for t, r in members if t == "w")
    return nodes, ways, relations


def way_nodes(objects: Iterable[osmium.osm.OSMObject], ways: set[int]) -> set[int]:
    """All node ids referenced by the given ways."""
    refs: set[int] = set()
    for obj in objects:
        if obj.is_way() and obj.id in ways:
            refs.update(ref.ref for ref in obj.nodes)
    return refs


def write_extract(
    source: Path, out: Path, ids: tuple[set[int], set[int], set[int]], box: BBox, timestamp: str
) -> dict[str, int]:
    """Write the kept objects of ``source`` to ``out`` (PBF), with the box and timestamp in the header.

    Returns
    -------
    dict
        Counts of the nodes, ways and relations written.
    """
    nodes, ways, relations = ids
    header = osmium.io.Header()
    header.add_box(osmium.osm.Box(osmium.osm.Location(box[0], box[1]), osmium.osm.Location(box[2], box[3])))
    header.set("osmosis_replication_timestamp", timestamp)  # the key a PBF header keeps
    header.set("generator", "parkscope scripts/make_demo_extract.py (pyosmium)")
    counts = {"nodes": 0, "ways": 0, "relations": 0}
    out.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(out), header=header)
    try:
        for obj in osmium.FileProcessor(str(source)):
            kind = "nodes" if obj.is_node() else "ways" if obj.is_way() else "relations"
            keep = {"nodes": nodes, "ways": ways, "relations": relations}[kind]
            if obj.id in keep:
                writer.add(obj)
                counts[kind] += 1
    finally:
        writer.close()
    return counts


def make_demo_extract(source: Path, out: Path, margin_m: float = MARGIN_M) -> dict[str, object]:
    """Crop ``source`` around the demo park and write ``out``; returns what was done."""
    if not source.is_file():
        raise FileNotFoundError(f"{source} is missing: check out the shared data folder beside the project.")
    nodes_and_ways = osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    check_data_box(nodes_and_ways, DATA_BOX)
    box = crop_box(source, DEMO_PARK, DEMO_BUFFER_M, margin_m, DATA_BOX)
    nodes, ways, relations = select_ids(osmium.FileProcessor(str(source)), box)
    nodes |= way_nodes(osmium.FileProcessor(str(source), osmium.osm.WAY), ways)
    counts = write_extract(source, out, (nodes, ways, relations), box, overpass_timestamp(source))
    return {"box": box, **counts, "bytes": out.stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help=f"default: {SOURCE}")
    parser.add_argument("--out", type=Path, default=OUT, help=f"default: {OUT}")
    parser.add_argument("--margin", type=float, default=MARGIN_M, help="metres beyond the study area")
    args = parser.parse_args()
    done = make_demo_extract(args.source, args.out, args.margin)
    w, s, e, n = done["box"]  # type: ignore[misc]
    print(
        f"Wrote {args.out}: {done['bytes']} bytes, {done['nodes']} nodes, {done['ways']} ways, "
        f"{done['relations']} relations; box {w},{s},{e},{n} ({DEMO_PARK} + {DEMO_BUFFER_M:g} m "
        f"+ {args.margin:g} m)"
    )


if __name__ == "__main__":
    main()
