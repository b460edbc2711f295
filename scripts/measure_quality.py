"""Measure the completeness of each input layer on the shared OpenStreetMap extracts.

The ranges in src/parkscope/data/quality.toml ("well-mapped extracts") come from this table:
    python scripts/measure_quality.py [--shared ../shared/data/osm]
For each extract, the study area is the box the file declares (buffer 0) or, for the whole-country
extracts and the files that declare none, a town box given below. Prints a Markdown table of the
data_quality measures.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from parkscope import assess
from parkscope.inputs.osm import extract_bounds

EXTRACTS = (
    "berlin-adlershof.osm.gz", "porto.osm.pbf", "munich.osm.pbf", "london.osm.pbf", "monaco.osm.pbf",
    "moscow.osm.pbf", "helsinki.osm.pbf", "beijing-xueyuan-road.osm", "andorra.osm.pbf",
    "liechtenstein.osm.pbf", "harrisburg.osm.pbf", "paris-centre.osm.pbf", "singapore-bayfront.osm.pbf",
    "porto-alegre.osm.pbf",
)
#: Study areas where the data's centre is not a town (mountains, water): W,S,E,N.
AREAS = {
    "andorra.osm.pbf": "1.515,42.500,1.545,42.515",        # Andorra la Vella / Escaldes
    "liechtenstein.osm.pbf": "9.515,47.130,9.535,47.145",  # Vaduz
    "porto-alegre.osm.pbf": "-51.235,-30.040,-51.215,-30.025",  # centre
    "berlin-adlershof.osm.gz": "13.520,52.425,13.540,52.438",   # WISTA science city
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[1] / "../shared/data/osm"))
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    head = ("extract", "built-up cells", "with buildings", "footprint m²/street km", "levels share",
            "amenities", "amen./street km", "categories", "buildings", "amenities status")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name in EXTRACTS:
        path = Path(args.shared) / name
        bbox = AREAS.get(name) or ",".join(map(str, extract_bounds(path)))
        a = assess(path, bbox=bbox, buffer_m=0)
        q = a.summary.data_quality
        b, am = q["buildings"].measures, q["amenities"].measures
        row = (name, b["built_up_cells"], b["built_up_cells_with_buildings_share"],
               b["footprint_m2_per_street_km"], b["share_with_levels_or_height"], am["amenities"],
               am["per_street_km"], am["categories_present"], q["buildings"].status,
               q["amenities"].status)
        print("| " + " | ".join(str(v) for v in row) + " |", flush=True)


if __name__ == "__main__":
    main()
