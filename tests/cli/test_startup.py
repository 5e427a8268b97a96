"""Nothing heavy is imported before a command needs it: ``--version`` loads no plugin
manager, ``--help`` neither SQLAlchemy nor the DPML grammar, and ``roc run`` of a script
that uses no sessions no SQLAlchemy. (How long start-up takes is measured in bench/.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "lark", "pluggy", "asyncio", "kernel.kernel")

PROBE = """
import json, sys
from kernel.cli import build_cli
try:
    build_cli().main(sys.argv[1:], standalone_mode=False)
finally:
    loaded = {m.split(".")[0] if not m.startswith("kernel.") else m for m in sys.modules}
    print(json.dumps(sorted(loaded & set(HEAVY))), file=sys.stderr)
""".replace("HEAVY", repr(HEAVY))


def loaded(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_version_loads_nothing_heavy():
    assert loaded("--version") == set()


def test_help_loads_plugins_but_no_database_grammar_network_or_kernel():
    assert loaded("--help") == {"pluggy"}


@pytest.mark.parametrize("uses_sessions", [False, True])
def test_run_loads_sqlalchemy_only_for_a_script_that_uses_sessions(tmp_path, uses_sessions):
    operand = "session:null" if uses_sessions else "data:,hi"
    kind = "new" if uses_sessions else "copy"
    script = tmp_path / "s.idoc"
    script.write_text(
        f"<idoc><instr><type>{kind}</type><operand>{operand}</operand></instr></idoc>"
    )
    store = f"sqlite:///{tmp_path / 'sessions.db'}"
    modules = loaded("run", str(script), "--store", store)
    assert "lark" in modules and "kernel.kernel" in modules
    assert ("sqlalchemy" in modules) is uses_sessions
