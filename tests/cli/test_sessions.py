"""``roc sessions list|show|end|sweep`` through click's runner and a real subprocess."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kernel import Kernel
from kernel.cli import build_cli


class PastClock:
    """A clock 1,000 s in the past, so sessions made with it are expired by now."""

    def __call__(self) -> float:
        return time.time() - 1000


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'sessions.db'}"


def make(url: str, n: int = 1, clock=time.time, **primary) -> list[str]:
    config = {"session": {"store": url, "sweep_interval": 0}}
    with Kernel(config=config, clock=clock, load_entrypoints=False) as k:
        ctx = k.context(primary.get("user"))
        uris = [ctx.new("session:null", primary or None) for _ in range(n)]
        if uris and clock is time.time:
            ctx.sink(uris[0] + "+key@cart", [1, 2, 3])
            ctx.sink(uris[0] + "+key@blob", b"\x00" * 100)
        return uris


def roc(*args: str, env: dict | None = None):
    result = CliRunner().invoke(build_cli(), list(args), env=env)
    return result


def test_list_shows_a_readable_table(url):
    (uri,) = make(url, user="alice", idle=600)
    (old,) = make(url, clock=PastClock(), idle=10)
    result = roc("sessions", "list", "--store", url)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "ID",
        "USER",
        "CREATED",
        "LAST",
        "ACCESS",
        "EXPIRES",
        "KEYS",
        "STATE",
    ]
    row = next(line for line in lines if uri[8:] in line)
    assert "alice" in row and row.split()[-1] == "live" and row.split()[-2] == "2"
    assert next(line for line in lines if old[8:] in line).split()[-1] == "expired"


def test_list_of_an_empty_store(url):
    with Kernel(config={"session": {"store": url}}, load_entrypoints=False) as k:
        assert k.context().exists("session:" + "A" * 32) is False  # opens (creates) it
    listed = roc("sessions", "list", "--store", url)
    assert listed.stdout == "no sessions\n"
    assert listed.stderr == f"0 sessions in {url}\n"  # which store was read


@pytest.mark.parametrize("command", [["list"], ["sweep"], ["show", "A" * 32], ["end", "A" * 32]])
def test_the_commands_never_create_a_store(tmp_path, command):
    typo = tmp_path / "sesions.db"
    result = roc("sessions", *command, "--store", f"sqlite:///{typo}")
    assert result.exit_code == 1
    assert (
        result.output == f"Error: no session store at {typo} (nothing has stored a session there)\n"
    )
    assert not typo.exists()


def test_bad_store_and_limit_options_are_refused(url):
    make(url)
    empty = roc("sessions", "list", "--store", "")
    assert empty.exit_code == 1 and "--store is empty" in empty.output
    for limit in ("0", "-1"):
        assert roc("sessions", "list", "--store", url, "--limit", limit).exit_code == 2


def test_show_accepts_either_id_form(url):
    (uri,) = make(url, user="bob")
    for ident in (uri, uri[8:]):
        result = roc("sessions", "show", ident, "--store", url)
        assert result.exit_code == 0, result.output
        assert "bob" in result.output and uri in result.output
        assert "cart" in result.output and "[1, 2, 3]" in result.output
        assert "bytes" in result.output and "..." in result.output


def test_show_of_a_value_that_does_not_decode_still_shows_the_rest(url):
    (uri,) = make(url)
    config = {"session": {"store": url, "sweep_interval": 0}}
    with Kernel(config=config, load_entrypoints=False) as k:
        k.schemes["session"].obj.store.put(uri[8:], "doc", "x", b"<a>x\x01y</a>")
    result = roc("sessions", "show", uri, "--store", url)
    assert result.exit_code == 0, result.output
    assert result.exception is None and "Traceback" not in result.output
    doc = next(line for line in result.output.splitlines() if line.startswith("doc "))
    assert "does not decode" in doc
    assert "[1, 2, 3]" in result.output


def test_end_ends_the_session_for_every_owner(url):
    (uri,) = make(url, user="carol")
    result = roc("sessions", "end", uri, "--store", url)
    assert result.exit_code == 0 and result.output == f"ended {uri}\n"
    again = roc("sessions", "end", uri, "--store", url)
    assert again.exit_code == 1 and "already ended" in again.output
    listed = roc("sessions", "list", "--store", url)
    assert listed.stdout == "no sessions\n"
    assert listed.stderr == f"0 sessions in {url}\n"  # which store was read


@pytest.mark.parametrize("bad", ["nope", "session:123", "a" * 32])
def test_malformed_ids_are_one_line_errors(url, bad):
    for command in ("show", "end"):
        result = roc("sessions", command, bad, "--store", url)
        assert result.exit_code == 1
        assert result.output.startswith("Error: ") and "Traceback" not in result.output


def test_sweep_says_how_many_it_removed(url):
    make(url, n=3, clock=PastClock(), idle=10)
    live = make(url, n=1)
    result = roc("sessions", "sweep", "--store", url)
    assert result.exit_code == 0 and result.output == "removed 3 expired sessions\n"
    assert roc("sessions", "sweep", "--store", url).output == "removed 0 expired sessions\n"
    assert live[0][8:] in roc("sessions", "list", "--store", url).output


def test_a_large_sweep_shows_progress(url):
    make(url, n=5200, clock=PastClock(), idle=10)
    result = roc("sessions", "sweep", "--store", url)
    assert result.exit_code == 0
    assert "sweeping" in result.stderr
    assert result.stdout == "removed 5200 expired sessions\n"


def test_the_default_store_is_in_the_user_data_dir(tmp_path):
    result = roc("sessions", "list", env={"XDG_DATA_HOME": str(tmp_path)})
    assert result.exit_code == 0 and result.stdout == "no sessions\n"
    store = tmp_path / "roc" / "sessions.db"
    assert store.is_file()  # private to the user: session ids are credentials
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.parent.stat().st_mode) == 0o700


def test_the_store_can_come_from_the_config_file(tmp_path, url):
    (uri,) = make(url)
    config = tmp_path / "roc.toml"
    config.write_text(f'[session]\nstore = "{url}"\n')
    result = roc(
        "sessions", "list", "--config", str(config), env={"XDG_DATA_HOME": str(tmp_path / "unused")}
    )
    assert uri[8:] in result.output
    assert not (tmp_path / "unused" / "roc" / "sessions.db").exists()  # default store unopened


def test_a_bad_store_url_is_a_one_line_error():
    result = roc("sessions", "list", "--store", "mysql://nowhere/db")
    assert result.exit_code == 1 and "sqlite or postgresql" in result.output


def test_end_to_end_in_a_subprocess(url):
    (uri,) = make(url, user="dave")
    roc_bin = Path(sys.executable).parent / "roc"
    out = subprocess.run(
        [str(roc_bin), "sessions", "list", "--store", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and uri[8:] in out.stdout and "dave" in out.stdout
    out = subprocess.run(
        [str(roc_bin), "sessions", "end", uri[8:], "--store", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and out.stdout.strip() == f"ended {uri}"
