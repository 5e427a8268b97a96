"""Commands share the command-line defaults plugins give (roc_cli_config): a session
made by `roc run` is there for `roc sessions`, and --config / --store still win."""

from __future__ import annotations

import re

from click.testing import CliRunner

from kernel.cli import build_cli

SCRIPT = """<idoc><seq>
  <instr><type>new</type><operand>session:null</operand><target>this:response</target></instr>
</seq></idoc>"""


def invoke(*args):
    return CliRunner().invoke(build_cli(), list(args))


def made_id(output: str) -> str:
    return re.search(r"session:([0-9A-F]{32})", output).group(1)


def test_run_and_sessions_share_the_default_store(tmp_path):
    script = tmp_path / "new.idoc"
    script.write_text(SCRIPT)
    made = invoke("run", str(script))
    assert made.exit_code == 0, made.output
    guid = made_id(made.output)
    listed = invoke("sessions", "list")
    assert listed.exit_code == 0, listed.output
    assert guid[:8] in listed.output


def test_config_file_and_store_option_override_the_default(tmp_path):
    script = tmp_path / "new.idoc"
    script.write_text(SCRIPT)
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    config = tmp_path / "roc.toml"
    config.write_text(f'[session]\nstore = "{elsewhere}"\n')
    by_config = made_id(invoke("run", str(script), "--config", str(config)).output)
    by_option = made_id(invoke("run", str(script), "--store", elsewhere).output)
    default = invoke("sessions", "list").output
    assert by_config[:8] not in default and by_option[:8] not in default
    there = invoke("sessions", "list", "--store", elsewhere).output
    assert by_config[:8] in there and by_option[:8] in there
