import json
from pathlib import Path

import numpy as np
import pytest

from parkscope.io import atomic_output_dir, write_json


def test_atomic_dir_appears_whole_or_not_at_all(tmp_path: Path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with atomic_output_dir(out) as tmp:
            (tmp / "a.txt").write_text("half")
            raise RuntimeError("boom")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    with atomic_output_dir(out) as tmp:
        (tmp / "a.txt").write_text("whole")
    assert (out / "a.txt").read_text() == "whole"
    # an existing folder keeps its old files on failure
    with pytest.raises(RuntimeError):
        with atomic_output_dir(out) as tmp:
            (tmp / "a.txt").write_text("new")
            raise RuntimeError("boom")
    assert (out / "a.txt").read_text() == "whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_json_writes_nan_as_null(tmp_path: Path):
    write_json({"a": float("nan"), "b": np.float64(1.5), "c": [np.inf]}, tmp_path / "s.json")
    assert json.loads((tmp_path / "s.json").read_text()) == {"a": None, "b": 1.5, "c": [None]}


def test_output_folder_gets_the_usual_permissions(tmp_path):
    import os

    from parkscope.io import atomic_output_dir

    with atomic_output_dir(tmp_path / "out") as tmp:
        (tmp / "a.txt").write_text("x")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o777 & ~umask
