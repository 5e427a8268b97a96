"""The roc command line, through CliRunner and through a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import click
from click.testing import CliRunner

import kernel
from kernel import hookimpl
from kernel.cli import build_cli


def run(*args, plugins=()):
    return CliRunner().invoke(build_cli(plugins), list(args))


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert kernel.__version__ in result.output


def test_schemes_lists_plugins_and_packages():
    result = run("schemes")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    data = next(line for line in lines if line.split()[1] == "data:")
    assert "kernel.builtins" in data and "roc-kernel" in data
    hello = next(line for line in lines if line.split()[1] == "hello:")
    assert "roc-hello" in hello
    assert any(line.split()[1] == "active:toUpper" for line in lines)


def test_bad_config_is_one_line_no_traceback(tmp_path):
    config = tmp_path / "roc.toml"
    config.write_text("[nosuch]\nx = 1\n")
    result = run("schemes", "--config", str(config))
    assert result.exit_code == 1
    assert "unknown config table 'nosuch'" in result.output
    assert "Traceback" not in result.output


class Greeting:
    @hookimpl
    def roc_commands(self, cli):
        @cli.command("greet")
        @click.argument("name")
        def greet(name):
            """Say hello through the kernel."""
            with kernel.Kernel(load_entrypoints=False) as k:
                click.echo(k.context().source(f"data:,hi%20{name}"))


def test_plugins_add_commands():
    result = run("greet", "you", plugins=[Greeting()])
    assert result.exit_code == 0
    assert result.output.strip() == "hi you"


def roc_subprocess(*args, **env):
    return subprocess.run(
        [sys.executable, "-c", "from kernel.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


def test_subprocess_end_to_end(tmp_path):
    result = roc_subprocess("schemes")
    assert result.returncode == 0, result.stderr
    assert "hello:" in result.stdout and "roc-hello" in result.stdout
    hermetic = roc_subprocess("schemes", ROC_NO_PLUGINS="1")
    assert "hello:" not in hermetic.stdout
    config = tmp_path / "bad.toml"
    config.write_text("not toml = = =")
    failed = roc_subprocess("schemes", "--config", str(config))
    assert failed.returncode == 1
    assert "is not valid TOML" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_console_script_is_installed():
    script = os.path.join(os.path.dirname(sys.executable), "roc")
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("roc, version")


def test_a_failing_stdout_is_one_line_not_a_traceback():
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-c", "from kernel.cli import main; main()", "schemes"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr == "roc: error: No space left on device\n"
