"""Configuration: strict tables, types, TOML files."""

from __future__ import annotations

import pytest

from kernel import ConfigError, Kernel, Option, hookimpl


class Configured:
    @hookimpl
    def roc_config(self):
        return {
            "demo": {
                "size": Option(10, int, "how many"),
                "name": Option(None, str),
                "ratio": Option(0.5, float),
            }
        }


def make(config):
    return Kernel(config=config, plugins=[Configured()], load_entrypoints=False)


def test_defaults_are_filled_in():
    with make(None) as k:
        assert k.config["demo"] == {"size": 10, "name": None, "ratio": 0.5}
        assert k.config["file"]["root"] == "."


def test_given_values_are_kept():
    with make({"demo": {"size": 3, "ratio": 2}}) as k:
        assert k.config["demo"]["size"] == 3
        assert k.config["demo"]["ratio"] == 2


@pytest.mark.parametrize(
    "config, words",
    [
        ({"demo": {"colour": 1}}, ["unknown config key demo.colour", "name, ratio, size"]),
        ({"nosuch": {}}, ["unknown config table 'nosuch'", "demo"]),
        ({"demo": {"size": "ten"}}, ["demo.size must be int"]),
        ({"demo": {"size": True}}, ["demo.size must be int"]),
        ({"demo": {"size": None}}, ["demo.size must be int"]),
        ({"demo": []}, ["must be a mapping"]),
        ({"kernel": {"workers": 0}}, ["kernel.workers", "greater than zero"]),
        ([("demo", {})], ["mapping of tables"]),
    ],
)
def test_bad_config_is_refused(config, words):
    with pytest.raises(ConfigError) as info:
        make(config)
    for word in words:
        assert word in str(info.value)


def test_toml_file(tmp_path):
    path = tmp_path / "roc.toml"
    path.write_text('[demo]\nsize = 7\nname = "x"\n\n[file]\nroot = "/srv"\n')
    with Kernel.from_toml(path, plugins=[Configured()], load_entrypoints=False) as k:
        assert k.config["demo"]["size"] == 7
        assert k.config["demo"]["name"] == "x"
        assert k.config["file"]["root"] == "/srv"


def test_toml_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[demo\nsize=")
    with pytest.raises(ConfigError, match="bad.toml"):
        Kernel.from_toml(bad, load_entrypoints=False)
    with pytest.raises(ConfigError, match="missing.toml"):
        Kernel.from_toml(tmp_path / "missing.toml", load_entrypoints=False)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[file]\n")
    with pytest.raises(ConfigError, match="binary.toml.*not UTF-8"):
        Kernel.from_toml(binary, load_entrypoints=False)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[file]\nroot = '.'\nextra = 1\n")
    with pytest.raises(ConfigError, match="file.extra"):
        Kernel.from_toml(unknown, load_entrypoints=False)
