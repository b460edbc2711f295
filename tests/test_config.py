from pathlib import Path

import pytest

from parkscope.errors import ConfigError
from parkscope.settings.config import load_settings


def test_shipped_defaults_have_all_categories_with_labels():
    s = load_settings()
    assert len(s.categories) == 13
    for c in s.categories:
        assert c.en and c.zh and c.weight > 0 and c.tags
    assert s.k == 5 and s.max_distance_m == 1600 and s.buffer_m == 2000
    assert s.coverage_distance_m == pytest.approx(15 * 60 * 1.333)


def test_user_config_overrides_and_adds_a_category(tmp_path: Path):
    cfg = tmp_path / "p.toml"
    cfg.write_text(
        "[access]\nk = 3\n[categories.dining]\nweight = 5.0\n"
        '[categories.coworking]\nen = "Coworking"\nzh = "共享办公"\nweight = 1\nrank_weights = [1]\n'
        'tags = ["amenity=coworking_space", "office=coworking"]\n',
        encoding="utf-8",
    )
    s = load_settings(cfg)
    assert s.k == 3
    assert {c.key: c.weight for c in s.categories}["dining"] == 5.0
    assert "coworking" in s.category_keys


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("[acess]\nk = 3\n", "access"),
        ("[access]\nmax_distance = 1000\n", "max_distance_m"),
        ("[categories.dining]\nwieght = 2\n", "weight"),
    ],
)
def test_unknown_keys_are_errors_with_a_suggestion(tmp_path: Path, text: str, suggestion: str):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=f"Did you mean '{suggestion}'"):
        load_settings(cfg)


def test_invalid_values_and_files(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[score]\nfull_credit_m = 5000\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="full_credit_m"):
        load_settings(bad)
    bad.write_text("[access\nk=1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")
    bad.write_text(
        '[categories.x]\nen="x"\nzh="x"\nweight=1\nrank_weights=[1]\ntags=["amenity"]\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="Bad tag selector"):
        load_settings(bad)
