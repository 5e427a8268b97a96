"""``roc sessions list|show --json``, UTC times, XML shown as XML, and what a listing
says about itself (which store, whether it was cut)."""

from __future__ import annotations

import json
import re
import time
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from kernel import Kernel
from kernel.cli import build_cli

UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'sessions.db'}"


def roc(*args):
    return CliRunner().invoke(build_cli(), list(args))


def make(url, n=1, user=None):
    config = {"session": {"store": url, "sweep_interval": 0}}
    with Kernel(config=config, load_entrypoints=False) as k:
        ctx = k.context(user)
        uris = [ctx.new("session:null", {"user": user} if user else None) for _ in range(n)]
        ctx.sink(uris[0] + "+key@doc", ET.fromstring("<cart><item>tea</item></cart>"))
        ctx.sink(uris[0] + "+key@n", 7)
        return uris


def test_list_json_parses_back_with_utc_times(url):
    (uri,) = make(url, user="ada")
    result = roc("sessions", "list", "--store", url, "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["uri"] == uri and row["id"] == uri[8:] and row["user"] == "ada"
    assert row["keys"] == 2 and row["state"] == "live"
    for field in ("created", "last_access", "expires"):
        assert UTC.match(row[field]), row[field]
    created = time.mktime(time.strptime(row["created"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert abs(created - time.time()) < 120  # really UTC, not local time with a Z


def test_list_says_which_store_and_when_it_was_cut(url):
    make(url, n=3)
    cut = roc("sessions", "list", "--store", url, "--limit", "2")
    assert len(cut.stdout.splitlines()) == 3  # header and two rows
    assert cut.stderr == f"2 sessions (the first 2; --limit N shows more) in {url}\n"
    whole = roc("sessions", "list", "--store", url, "--limit", "3", "--json")
    assert len(json.loads(whole.stdout)) == 3
    assert whole.stderr == f"3 sessions in {url}\n"


def test_show_renders_xml_as_xml_and_json_parses_back(url):
    (uri,) = make(url)
    text = roc("sessions", "show", uri, "--store", url)
    assert text.exit_code == 0, text.output
    doc = next(line for line in text.stdout.splitlines() if line.startswith("doc "))
    assert "<cart><item>tea</item></cart>" in doc and "<Element" not in text.stdout
    assert re.search(r"^created\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", text.stdout, re.M)
    data = json.loads(roc("sessions", "show", uri, "--store", url, "--json").stdout)
    assert data["uri"] == uri and UTC.match(data["expires"])
    values = {v["key"]: v for v in data["values"]}
    assert values["doc"] == {
        "key": "doc",
        "type": "Element",
        "value": "<cart><item>tea</item></cart>",
    }
    assert values["n"] == {"key": "n", "type": "int", "value": 7}
