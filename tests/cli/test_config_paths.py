"""Relative paths in a config file are relative to that file's folder (``roc run``)."""

from __future__ import annotations

from click.testing import CliRunner

from kernel.cli import build_cli, kernel_from_options


def test_file_root_and_sqlite_store_resolve_against_the_config_folder(tmp_path, monkeypatch):
    app = tmp_path / "app"
    (app / "data").mkdir(parents=True)
    (app / "data" / "greeting.txt").write_text("hello from app")
    config = app / "roc.toml"
    config.write_text('[file]\nroot = "data"\n[session]\nstore = "sqlite:///db/s.db"\n')
    (app / "db").mkdir()
    script = tmp_path / "read.idoc"
    script.write_text(
        "<idoc><seq><instr><type>new</type><operand>session:null</operand>"
        "<target>var:s</target></instr>"
        "<instr><type>copy</type><operand>file:greeting.txt</operand>"
        "<target>this:response</target></instr></seq></idoc>"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = CliRunner().invoke(build_cli(), ["run", str(script), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "hello from app" in result.output
    assert (app / "db" / "s.db").exists()
    with kernel_from_options(str(config)) as k:
        assert k.config["file"]["root"] == str(app / "data")
        assert k.config["session"]["store"] == f"sqlite:///{app / 'db' / 's.db'}"


def test_absolute_paths_and_other_urls_are_left_alone(tmp_path):
    config = tmp_path / "roc.toml"
    config.write_text(f'[file]\nroot = "{tmp_path}"\n[session]\nstore = "sqlite://"\n')
    with kernel_from_options(str(config)) as k:
        assert k.config["file"]["root"] == str(tmp_path)
        assert k.config["session"]["store"] == "sqlite://"
    config.write_text('[session]\nstore = "sqlite:////abs/s.db"\n')
    with kernel_from_options(str(config)) as k:
        assert k.config["session"]["store"] == "sqlite:////abs/s.db"
