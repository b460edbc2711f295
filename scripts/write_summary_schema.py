"""Write docs/summary.schema.json: the JSON Schema of summary.json, generated from
parkscope.settings.summary.Summary.

    python scripts/write_summary_schema.py           # (re)write the file
    python scripts/write_summary_schema.py --check   # exit 1 if the file differs from the model

Run it after changing the Summary model; tests/test_summary.py fails while the committed file and the
model disagree.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from parkscope.settings.summary import schema_text

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "summary.schema.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Only compare; exit 1 if the file is stale.")
    parser.add_argument("--out", type=Path, default=SCHEMA_PATH, help=f"Where to write [{SCHEMA_PATH}].")
    args = parser.parse_args(argv)
    text = schema_text()
    current = args.out.read_text(encoding="utf-8") if args.out.is_file() else None
    if args.check:
        if current != text:
            print(f"{args.out} differs from the Summary model: run python scripts/{Path(__file__).name}.",
                  file=sys.stderr)
            return 1
        print(f"{args.out} matches the Summary model.")
        return 0
    if current != text:
        args.out.write_text(text, encoding="utf-8")
        print(f"Wrote {args.out}.")
    else:
        print(f"{args.out} is up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
