"""The kernel's commands: one-shot requests, ``roc plugins``, ``roc config``, ``--json``
output parsed back, and ``--debug``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import kernel
from kernel import hookimpl
from kernel.cli import build_cli


def roc(*args, plugins=(), input=None):
    return CliRunner().invoke(build_cli(plugins), list(args), input=input)


@pytest.fixture
def root(tmp_path):
    """A --set that confines file: to a fresh directory."""
    return ["--set", f"file.root={json.dumps(str(tmp_path))}"]


def test_source_prints_as_roc_run_does():
    assert roc("source", "data:,hello").stdout == "hello\n"
    assert roc("source", "data:text/xml,<a>x</a>").stdout == "<a>x</a>\n"


def test_sink_exists_source_delete_round_trip(root, tmp_path):
    assert roc("sink", "file:notes.txt", "resources", *root).exit_code == 0
    assert (tmp_path / "notes.txt").read_text() == "resources"
    assert roc("exists", "file:notes.txt", *root).stdout == "true\n"
    assert roc("source", "file:notes.txt", *root).stdout == "resources\n"
    assert roc("delete", "file:notes.txt", *root).stdout == "true\n"
    assert roc("exists", "file:notes.txt", *root).stdout == "false\n"
    assert roc("delete", "file:notes.txt", *root).stdout == "false\n"


def test_sink_reads_stdin_json_and_xml(root, tmp_path):
    assert roc("sink", "file:a.txt", "-", *root, input="from stdin").exit_code == 0
    assert (tmp_path / "a.txt").read_text() == "from stdin"
    assert roc("sink", "--xml", "file:b.xml", "<x><y/></x>", *root).exit_code == 0
    assert (tmp_path / "b.xml").read_text() == "<x><y /></x>"
    bad = roc("sink", "--json", "file:c.json", "{nope", *root)
    assert bad.exit_code == 2 and "not JSON" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "c.json").exists()  # nothing written
    dtd = roc("sink", "--xml", "file:d.xml", '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', *root)
    assert dtd.exit_code == 2 and "DTD" in dtd.output
    both = roc("sink", "--xml", "--json", "file:e", "1", *root)
    assert both.exit_code == 2 and "cannot be used together" in both.output


def test_source_json_and_user():
    class Who:
        @hookimpl
        def roc_schemes(self):
            class Echo:
                def source(self, request, ctx):
                    return {"principal": request.principal, "raw": b"\xff"}

            return {"who": Echo()}

    result = roc("source", "--json", "--user", "alice", "who:x", plugins=[Who()])
    assert json.loads(result.stdout) == {"principal": "alice", "raw": "\ufffd"}


def test_request_errors_are_one_line():
    result = roc("source", "nosuch:thing")
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert "nosuch" in result.output


def test_set_is_checked_like_config():
    bad = roc("source", "--set", "nonsense", "data:,x")
    assert bad.exit_code == 2 and "TABLE.KEY=VALUE" in bad.output
    unknown = roc("source", "--set", "file.nope=1", "data:,x")
    assert unknown.exit_code == 1 and "unknown config key file.nope" in unknown.output


def test_plugins_lists_builtins_and_the_example_plugin():
    result = roc("plugins", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["kernel.builtins"]["package"] == "roc-kernel"
    assert rows["kernel.builtins"]["version"] == kernel.__version__
    assert "roc_schemes" in rows["kernel.builtins"]["hooks"]
    hello = rows["hello"]
    assert hello["package"] == "roc-hello" and hello["entry_point"].startswith("hello = ")
    table = roc("plugins").stdout.splitlines()
    assert table[0].split() == ["NAME", "PACKAGE", "VERSION", "ENTRY", "POINT", "HOOKS"]


def test_config_lists_every_builtin_table_with_defaults():
    result = roc("config", "--json")
    tables = json.loads(result.stdout)
    assert {"kernel", "file", "session", "chan"} <= set(tables)
    assert tables["session"]["idle"] == {
        "default": 1800,
        "type": "int or float",
        "doc": "seconds of inactivity that end a session",
    }
    text = roc("config", "file").stdout
    assert text.startswith("[file]\n") and '# root = "."' in text


def test_config_output_is_toml_that_changes_nothing(tmp_path):
    """Every key is commented out, so the printed file (all tables, empty) is accepted and
    means the defaults; uncommenting a line sets that key."""
    import tomllib

    text = roc("config").stdout
    assert tomllib.loads(text) == {name: {} for name in tomllib.loads(text)}
    assert "# idle = 1800\n" in text
    assert "(the command line's default)" in text  # the store the CLI really uses
    path = tmp_path / "roc.toml"
    path.write_text(text.replace("# idle = 1800", "idle = 60"))
    with kernel.Kernel.from_toml(path, load_entrypoints=False) as k:
        assert k.config["session"]["idle"] == 60
        assert k.config["chan"]["heartbeat"] == 1.0


def test_config_of_an_unknown_table():
    result = roc("config", "nosuch")
    assert result.exit_code == 1 and "unknown config table 'nosuch'" in result.output


def test_schemes_json_with_verbs_and_docs():
    rows = json.loads(roc("schemes", "--json").stdout)
    data = next(row for row in rows if row["name"] == "data:")
    assert data["verbs"] == "SOURCE,EXISTS" and data["package"] == "roc-kernel"
    assert data["doc"].startswith("RFC 2397")
    assert any(row["name"] == "active:copy" and row["kind"] == "accessor" for row in rows)


def test_debug_prints_the_traceback_of_a_failing_handler():
    class Crash:
        @hookimpl
        def roc_schemes(self):
            class Boom:
                def source(self, request, ctx):
                    raise kernel.errors.ResourceNotFound("nothing here")

            return {"boom": Boom()}

    quiet = roc("source", "boom:x", plugins=[Crash()])
    assert quiet.exit_code == 1 and "Traceback" not in quiet.output
    loud = roc("--debug", "source", "boom:x", plugins=[Crash()])
    assert loud.exit_code == 1 and "Traceback" in loud.output and "nothing here" in loud.output
