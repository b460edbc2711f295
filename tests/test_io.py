import json
from pathlib import Path

import numpy as np
import pytest

from parkscope.errors import InputError
from parkscope.files.io import (
    atomic_output,
    atomic_output_dir,
    check_output,
    gpkg_timestamp,
    write_json,
    write_text,
)


def test_atomic_dir_appears_whole_or_not_at_all(tmp_path: Path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with atomic_output_dir(out) as tmp:
            (tmp / "a.txt").write_text("half")
            raise RuntimeError("boom")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    with atomic_output_dir(out) as tmp:
        (tmp / "summary.json").write_text("whole")
    assert (out / "summary.json").read_text() == "whole"
    # an existing folder keeps its old files on failure
    with pytest.raises(RuntimeError):
        with atomic_output_dir(out, overwrite=True) as tmp:
            (tmp / "summary.json").write_text("new")
            raise RuntimeError("boom")
    assert (out / "summary.json").read_text() == "whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_existing_result_is_refused_unless_overwrite_which_replaces_it_whole(tmp_path: Path):
    out = tmp_path / "out"
    with atomic_output_dir(out) as tmp:
        (tmp / "summary.json").write_text("old")
        (tmp / "stale.txt").write_text("old")
    with pytest.raises(InputError, match="--overwrite"):
        with atomic_output_dir(out) as tmp:
            (tmp / "summary.json").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["stale.txt", "summary.json"]
    with atomic_output_dir(out, overwrite=True) as tmp:
        (tmp / "summary.json").write_text("new")
    assert [p.name for p in out.iterdir()] == ["summary.json"]  # the old folder is gone whole
    assert (out / "summary.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging or old folder left beside it


def test_overwrite_never_deletes_a_folder_that_is_not_a_result(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine")
    for overwrite in (False, True):
        with pytest.raises(InputError, match="not an earlier parkscope result"):
            check_output(tmp_path, overwrite=overwrite)
    check_output(tmp_path / "empty", overwrite=False)  # absent
    (tmp_path / "empty").mkdir()
    check_output(tmp_path / "empty", overwrite=False)  # empty: nothing to lose
    with pytest.raises(InputError, match="is a file"):
        check_output(tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_file_outputs_are_atomic_and_refuse_an_existing_file(tmp_path: Path):
    path = tmp_path / "t.csv"
    with atomic_output(path) as tmp:
        tmp.write_text("one")
    with pytest.raises(InputError, match="--overwrite"):
        with atomic_output(path) as tmp:
            tmp.write_text("two")
    with pytest.raises(RuntimeError):
        with atomic_output(path, overwrite=True) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert path.read_text() == "one"
    write_text(path, "three")  # replaces, like the report and figures do
    assert path.read_text() == "three"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]
    with pytest.raises(InputError, match="is a folder"):
        check_output(tmp_path, folder=False)


def test_gpkg_timestamp_is_fixed_or_the_one_given():
    assert gpkg_timestamp(None) == "1970-01-01T00:00:00.000Z"
    assert gpkg_timestamp("2023-01-28T19:04:25Z") == "2023-01-28T19:04:25.000Z"
    with pytest.raises(InputError):
        gpkg_timestamp("yesterday")


def test_json_writes_nan_as_null(tmp_path: Path):
    write_json({"a": float("nan"), "b": np.float64(1.5), "c": [np.inf]}, tmp_path / "s.json")
    assert json.loads((tmp_path / "s.json").read_text()) == {"a": None, "b": 1.5, "c": [None]}


def test_output_folder_gets_the_usual_permissions(tmp_path):
    import os

    from parkscope.files.io import atomic_output_dir

    with atomic_output_dir(tmp_path / "out") as tmp:
        (tmp / "a.txt").write_text("x")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o777 & ~umask
