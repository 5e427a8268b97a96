"""A broken third-party plugin, really installed (a distribution with a ``roc`` entry
point on the path of a real ``roc`` process): it is named with its fix, and the commands
that need no kernel still work."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

IMPORT_ERROR = "import no_such_module_anywhere\n"
UNKNOWN_HOOK = "from kernel import hookimpl\n\n@hookimpl\ndef roc_schemez():\n    return {}\n"


def install(site, name, module_source):
    """A minimal installed distribution: its module and a dist-info with the entry point."""
    (site / f"{name}.py").write_text(module_source)
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[roc]\n{name} = {name}\n")


def roc(site, *args, **env):
    environ = {k: v for k, v in os.environ.items() if k != "ROC_NO_PLUGINS"}
    environ.update(PYTHONPATH=str(site), **env)
    return subprocess.run(
        [sys.executable, "-c", "from kernel.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ,
    )


@pytest.fixture(params=[("broken_import", IMPORT_ERROR), ("broken_hook", UNKNOWN_HOOK)])
def site(request, tmp_path):
    name, source = request.param
    install(tmp_path, name, source)
    return tmp_path, name


def test_help_version_plugins_and_config_still_work(site):
    path, name = site
    version = roc(path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("roc, version")
    help = roc(path, "--help")
    assert help.returncode == 0 and "schemes" in help.stdout
    assert f"plugin '{name} = {name}' from {name} cannot load" in help.stderr
    plugins = roc(path, "plugins", "--json")
    assert plugins.returncode == 0, plugins.stderr
    broken = next(row for row in json.loads(plugins.stdout) if row["name"] == name)
    assert broken["package"] == name and broken["error"]
    assert any(row["name"] == "kernel.builtins" for row in json.loads(plugins.stdout))
    config = roc(path, "config", "--json")
    assert config.returncode == 0 and "session" in json.loads(config.stdout)


def test_a_command_that_needs_a_kernel_fails_with_one_line_naming_the_fix(site):
    path, name = site
    result = roc(path, "source", "data:,x")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert f"from {name} cannot load" in lines[0]
    assert f"pip uninstall {name}" in lines[0] and "ROC_NO_PLUGINS=1" in lines[0]
    if name == "broken_hook":
        assert "roc_schemez" in lines[0]
    else:
        assert "ModuleNotFoundError" in lines[0]


def test_no_plugins_runs_without_the_broken_one(site):
    path, _ = site
    result = roc(path, "source", "data:,fine", ROC_NO_PLUGINS="1")
    assert result.returncode == 0 and result.stdout == "fine\n"


FAILING_SCHEMES = (
    "from kernel import hookimpl\n\n@hookimpl\ndef roc_schemes():\n"
    "    raise RuntimeError('boom in schemes')\n"
)
FAILING_COMMANDS = (
    "from kernel import hookimpl\n\n@hookimpl\ndef roc_commands(cli):\n"
    "    raise RuntimeError('boom in commands')\n"
)


def test_a_plugin_that_exits_at_import_is_named_not_fatal(tmp_path):
    install(tmp_path, "exits_early", "import sys\nsys.exit(3)\n")
    listed = roc(tmp_path, "plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    broken = next(row for row in json.loads(listed.stdout) if row["name"] == "exits_early")
    assert "SystemExit" in broken["error"]
    failed = roc(tmp_path, "source", "data:,x")
    assert failed.returncode == 1 and "exits_early cannot load" in failed.stderr


def test_a_failing_registration_hook_is_one_line_naming_its_package(tmp_path):
    install(tmp_path, "failing_schemes", FAILING_SCHEMES)
    assert roc(tmp_path, "--help").returncode == 0  # registration hooks run with a kernel
    failed = roc(tmp_path, "source", "data:,x")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    (line,) = failed.stderr.strip().splitlines()
    assert "from failing_schemes cannot load" in line
    assert "roc_schemes() failed: RuntimeError: boom in schemes" in line
    assert "pip uninstall failing_schemes" in line


def test_a_failing_roc_commands_leaves_every_other_command_working(tmp_path):
    install(tmp_path, "failing_commands", FAILING_COMMANDS)
    help = roc(tmp_path, "--help")
    assert help.returncode == 0 and "run" in help.stdout and "sessions" in help.stdout
    assert "failing_commands" in help.stderr and "boom in commands" in help.stderr
    ran = roc(tmp_path, "source", "data:,still")
    assert ran.returncode == 0 and ran.stdout == "still\n"


def test_two_packages_with_one_plugin_name_are_named_both(tmp_path):
    install(tmp_path, "otherhello", "")
    (tmp_path / "otherhello-1.0.dist-info" / "entry_points.txt").write_text(
        "[roc]\nhello = otherhello\n"
    )
    failed = roc(tmp_path, "source", "data:,x")
    assert failed.returncode == 1
    assert "plugin name 'hello' is already taken by" in failed.stderr
    listed = json.loads(roc(tmp_path, "plugins", "--json").stdout)
    assert any(row["error"] and "already taken" in row["error"] for row in listed)
