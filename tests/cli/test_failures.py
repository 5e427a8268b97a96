"""What reaches the user when something fails inside a command: always one line (the
traceback only with --debug), Ctrl-C exit 130, bad VALUE bytes refused, strict JSON."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner

from kernel import hookimpl
from kernel.cli import build_cli


class Buggy:
    """A plugin whose handler and accessor have bugs of their own (not roc errors)."""

    @hookimpl
    def roc_schemes(self):
        class Broken:
            def source(self, request, ctx):
                raise ValueError("handler boom")

        return {"broken": Broken()}

    @hookimpl
    def roc_accessors(self):
        def interrupt(request, ctx):
            raise KeyboardInterrupt

        return {"divide": lambda request, ctx: 1 / 0, "interrupt": interrupt}


def roc(*args, plugins=None, input=None):
    return CliRunner().invoke(build_cli(plugins or [Buggy()]), list(args), input=input)


def test_a_handlers_own_exception_is_one_line():
    for uri, expected in [
        ("broken:x", "ValueError: handler boom"),
        ("active:divide", "ZeroDivisionError: division by zero"),
    ]:
        result = roc("source", uri)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.output == f"Error: {expected} (roc --debug shows the traceback)\n"
    loud = roc("--debug", "source", "broken:x")
    assert loud.exit_code == 1 and "Traceback" in loud.output and "handler boom" in loud.output


def test_ctrl_c_in_a_command_exits_130():
    result = roc("source", "active:interrupt")
    assert result.exit_code == 130 and result.output == "roc: interrupted\n"


def test_a_commands_hook_that_fails_is_named_and_the_rest_works():
    class Failing:
        @hookimpl
        def roc_commands(self, cli):
            raise RuntimeError("boom in commands")

    help = roc("--help", plugins=[Failing()])
    assert help.exit_code == 0 and "source" in help.stdout
    assert "roc_commands() failed: RuntimeError: boom in commands" in help.stderr
    assert roc("source", "data:,ok", plugins=[Failing()]).stdout == "ok\n"


def test_a_plugin_command_cannot_replace_a_builtin_one():
    class Shadow:
        @hookimpl
        def roc_commands(self, cli):
            @cli.command("source")
            def source():
                click.echo("shadowed")

    result = roc("source", "data:,real", plugins=[Shadow()])
    assert result.stdout == "real\n"
    help = roc("--help", plugins=[Shadow()])
    assert "adds a command 'source', which roc already has" in help.stderr


def test_a_config_declaration_that_is_not_options_is_named():
    class BadConfig:
        @hookimpl
        def roc_config(self):
            return {"mine": {"x": 5}}

    result = roc("config", plugins=[BadConfig()])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "roc_config() must return" in result.output and "BadConfig" in result.output


def test_value_bytes_that_are_not_utf8_are_refused(tmp_path):
    root = ["--set", f"file.root={json.dumps(str(tmp_path))}"]
    piped = roc("sink", "file:o.txt", "-", *root, input=b"ok \xff")
    assert piped.exit_code == 2 and "not UTF-8 text (byte 0xff at offset 3)" in piped.output
    argv = roc("sink", "file:o.txt", "a\udcffb", *root)
    assert argv.exit_code == 2 and "not UTF-8 text" in argv.output
    xml = roc("sink", "--xml", "file:o.xml", "<a>\udcff</a>", *root)
    assert xml.exit_code == 2 and "Traceback" not in xml.output
    assert not any(tmp_path.iterdir())  # nothing written


def test_json_in_and_out_is_strict(tmp_path):
    root = ["--set", f"file.root={json.dumps(str(tmp_path))}"]
    nan = roc("sink", "--json", "file:n.json", "NaN", *root)
    assert nan.exit_code == 2 and "JSON has no NaN" in nan.output

    class Floats:
        @hookimpl
        def roc_schemes(self):
            class F:
                def source(self, request, ctx):
                    return [float("nan"), float("inf"), 1.5]

            return {"floats": F()}

    out = roc("source", "--json", "floats:x", plugins=[Floats()])
    assert json.loads(out.stdout) == ["nan", "inf", 1.5]


def test_accessors_are_listed_as_answering_any_verb():
    rows = json.loads(roc("schemes", "--json").stdout)
    assert next(r for r in rows if r["name"] == "active:copy")["verbs"] == "any"


def test_an_empty_user_is_refused():
    result = roc("source", "--user", "", "data:,x")
    assert result.exit_code == 2 and "--user" in result.output


def test_scheme_and_accessor_names_are_checked_at_start_up():
    class BadNames:
        @hookimpl
        def roc_schemes(self):
            class H:
                def source(self, request, ctx):
                    return 1

            return {"Bad Name!": H()}

    result = roc("source", "data:,x", plugins=[BadNames()])
    assert result.exit_code == 1 and "not a valid scheme name" in result.output


def test_text_that_ends_its_line_is_printed_once():
    assert roc("source", "data:,two%0A").stdout == "two\n"
    assert roc("source", "data:,one").stdout == "one\n"


def test_an_empty_config_path_is_refused():
    result = roc("source", "--config", "", "data:,x")
    assert result.exit_code == 1 and "--config is empty" in result.output
