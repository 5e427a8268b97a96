"""schemes/http reaches session: only through URIs: it imports neither schemes.session
nor dpml, and nothing below it imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import schemes.http

ROOT = Path(__file__).resolve().parents[3]


def imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
    return found


def test_http_and_session_never_import_each_other():
    assert not {m for m in imports("schemes/http") if m.startswith(("schemes.session", "dpml"))}
    assert not {m for m in imports("schemes/session") if m.startswith("schemes.http")}
    assert not {m for m in imports("kernel") if m.startswith(("schemes", "dpml"))}


def test_public_names():
    assert schemes.http.__all__ == ["asgi_app"]
