"""The public API of the dpml package (the README's DPML section)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

import dpml
from kernel import KernelError, UnsupportedRepresentation
from tests.dpml.conftest import instr

SCRIPT = "<idoc>" + instr("copy", "this:response", operand="this:param:n") + "</idoc>"


def test_public_names():
    assert sorted(dpml.__all__) == sorted(
        [
            "compile",
            "run",
            "Program",
            "DPMLSyntaxError",
            "DPMLException",
            "DPMLLimitExceeded",
            "StepLimitExceeded",
            "DepthLimitExceeded",
            "DPMLWarning",
        ]
    )


def test_every_dpml_error_is_a_kernel_error():
    for name in ("DPMLSyntaxError", "DPMLException", "StepLimitExceeded", "DepthLimitExceeded"):
        assert issubclass(getattr(dpml, name), KernelError)


def test_programs_are_cached_by_content():
    text = SCRIPT + "<!-- cache -->"
    assert dpml.compile(text) is dpml.compile("".join([text]))
    assert dpml.compile(text) is dpml.compile(text.encode())
    assert dpml.compile(text) is not dpml.compile(text + " ")


def test_compile_rejects_non_text():
    with pytest.raises(UnsupportedRepresentation):
        dpml.compile(42)  # type: ignore[arg-type]


def test_run_and_program_run_agree(dctx):
    assert dpml.run(SCRIPT, dctx, {"n": 1}) == dpml.compile(SCRIPT).run(dctx, params={"n": 1})


def test_one_program_runs_in_many_threads_at_once(mk):
    program = dpml.compile(SCRIPT)
    results = {}
    start = threading.Barrier(8)

    def work(i):
        ctx = mk.context()
        start.wait()
        results[i] = [program.run(ctx, {"n": (i, j)}) for j in range(50)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: [(i, j) for j in range(50)] for i in range(8)}


def test_accessors_are_registered_by_the_dpml_plugin(mk):
    assert mk.accessors["dpml"].plugin == "dpml.plugin"
    assert mk.accessors["buildSessionResourceURI"].plugin == "dpml.plugin"


def test_the_parser_keeps_no_pickled_cache(tmp_path):
    """lark's cache=True would unpickle a file from a predictable temp path (another
    local user could plant one); roc builds its parser in memory."""
    code = "import dpml; dpml.compile('<idoc/>')"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
    assert list(tmp_path.iterdir()) == []
