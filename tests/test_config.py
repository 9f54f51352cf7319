from __future__ import annotations

import pytest

from dedup import Config, ConfigError, DedupError


def test_defaults_and_resolved_shingle_size():
    c = Config()
    assert c.shingle == "word" and c.size == 2  # tuned on the planted harness (issue 4)
    assert Config(shingle="char").size == 5
    assert Config(shingle="char", shingle_size=7).size == 7


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 0},
        {"threshold": 1.5},
        {"threshold": float("nan")},
        {"num_perm": 1},
        {"num_perm": 12.5},
        {"shingle": "byte"},
        {"shingle_size": 0},
        {"canonical": "random"},
        {"coverage_threshold": -0.1},
        {"min_tokens": True},
    ],
)
def test_invalid_values_raise_config_error(kwargs):
    with pytest.raises(ConfigError):
        Config(**kwargs)


def test_frozen_and_replace():
    c = Config()
    with pytest.raises(AttributeError):
        c.threshold = 0.9  # type: ignore[misc]
    d = c.replace(threshold=0.7, shingle="char")
    assert d.threshold == 0.7 and d.size == 5 and c.threshold != 0.7


def test_round_trip_and_unknown_keys():
    c = Config(threshold=0.6, num_perm=64)
    assert Config.from_dict(c.to_dict()) == c
    with pytest.raises(ConfigError, match="unknown setting"):
        Config.from_dict({"treshold": 0.5})
    assert issubclass(ConfigError, DedupError)


def test_fingerprint_settings_change_with_signature_settings():
    assert Config().fingerprint_settings() != Config(num_perm=64).fingerprint_settings()
    assert Config().fingerprint_settings() == Config(canonical="longest").fingerprint_settings()


def test_every_setting_has_cli_help_in_config_py():
    import dataclasses

    from dedup.cli.options import setting_fields
    from dedup.config import INTERNAL_SETTINGS, SETTING_HELP

    names = {f.name for f in dataclasses.fields(Config)}
    assert set(SETTING_HELP) <= names, "help for a setting that does not exist"
    assert {f.name for f in setting_fields()} == names - INTERNAL_SETTINGS
    doc = Config.__doc__ or ""
    for f in setting_fields():
        documented = f.name in SETTING_HELP or f"    {f.name}: " in doc
        assert documented, f"{f.name} has no help (SETTING_HELP or Config docstring)"
