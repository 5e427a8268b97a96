"""``cli-startup``: whole ``roc`` processes, side by side with ``sqlite-utils --version``.

Each sample starts the command as a new process and waits for it; the harness
interleaves the contenders round by round and compares medians, so the machine's drift
slows them alike. ``python -c pass`` shows the floor any Python command line pays.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .harness import Case, scenario

SCRIPT = (
    "<idoc><instr><type>copy</type><operand>data:,hi</operand>"
    "<target>this:response</target></instr></idoc>"
)
RUN_TARGET = 0.4  # seconds: the bar for `roc run` of a one-instruction script


def _bin(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        raise ModuleNotFoundError(f"no {name} command", name=name.replace("-", "_"))
    return found


def _process(argv: list[str], env: dict[str, str]) -> Callable[[int], float]:
    def run(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - start

    return run


def _derive(medians: dict[str, float]) -> list[str]:
    peer = medians["sqlite-utils --version"]
    run = medians["roc run (one instruction)"]
    lines = [
        f"roc --version / sqlite-utils --version: {medians['roc --version'] / peer:.2f}x "
        "(target <= 1.00x)",
        f"roc --help / sqlite-utils --version: {medians['roc --help'] / peer:.2f}x "
        "(target <= 1.00x)",
        f"roc run (one instruction): {run:.3f} s = {run / peer:.2f}x sqlite-utils --version "
        f"(target <= {RUN_TARGET} s here)",
    ]
    return lines


@scenario("cli-startup", derive=_derive)
def cli_startup() -> Iterator[list[Case]]:
    """Whole processes: roc --version, --help and run vs sqlite-utils --version."""
    roc, peer = _bin("roc"), _bin("sqlite-utils")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "one.idoc"
        script.write_text(SCRIPT)
        env = {**os.environ, "XDG_DATA_HOME": tmp}
        yield [
            Case("sqlite-utils --version", _process([peer, "--version"], env), fixed_n=3),
            Case("python -c pass", _process([sys.executable, "-c", "pass"], env), fixed_n=3),
            Case("roc --version", _process([roc, "--version"], env), fixed_n=3),
            Case("roc --help", _process([roc, "--help"], env), fixed_n=3),
            Case("roc run (one instruction)", _process([roc, "run", str(script)], env), fixed_n=3),
        ]
