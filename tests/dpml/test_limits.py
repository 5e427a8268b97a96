"""A runaway script stops: max_steps, and a limit on scripts calling scripts."""

from __future__ import annotations

import pytest

import dpml
from dpml import DepthLimitExceeded, StepLimitExceeded
from kernel import ConfigError, LimitExceeded
from tests.dpml.conftest import instr
from tests.retained import retained

FOREVER = (
    "<idoc>\n<while><cond>"
    + instr("copy", "this:cond", operand="<b>t</b>")
    + "</cond><seq>\n  "
    + instr("copy", "var:x", operand="data:,x")
    + "</seq></while></idoc>"
)


def test_runaway_loop_stops_at_max_steps(dctx):
    with pytest.raises(StepLimitExceeded) as caught:
        dpml.compile(FOREVER).run(dctx, max_steps=1000)
    error = caught.value
    assert isinstance(error, LimitExceeded)
    assert "more than 1000 instructions" in error.message
    assert error.line in (2, 3)


def test_max_steps_counts_instructions_exactly(dctx):
    script = "<idoc>" + instr("copy", "var:a", operand="data:,1") * 3 + "</idoc>"
    program = dpml.compile(script)
    program.run(dctx, max_steps=3)
    with pytest.raises(StepLimitExceeded):
        program.run(dctx, max_steps=2)


def test_default_max_steps_is_a_million():
    from dpml.interpreter import DEFAULT_MAX_STEPS

    assert DEFAULT_MAX_STEPS == 1_000_000


def test_a_script_calling_itself_stops_at_the_depth_limit(dctx, memory):
    memory.items["mem:self"] = "<idoc>\n" + instr("dpml", operand="mem:self") + "</idoc>"
    with pytest.raises(DepthLimitExceeded) as caught:
        dpml.run("<idoc>" + instr("dpml", operand="mem:self") + "</idoc>", dctx)
    assert "more than 32 deep" in caught.value.message


def test_nested_scripts_share_one_step_budget(dctx, memory):
    memory.items["mem:sub"] = FOREVER
    with pytest.raises(StepLimitExceeded):
        dpml.compile("<idoc>" + instr("dpml", operand="mem:sub") + "</idoc>").run(
            dctx, max_steps=500
        )


def test_depth_limit_can_be_lowered(dctx, memory):
    memory.items["mem:leaf"] = (
        "<idoc>" + instr("copy", "this:response", operand="data:,leaf") + "</idoc>"
    )
    memory.items["mem:mid"] = (
        "<idoc>" + instr("dpml", "this:response", operand="mem:leaf") + "</idoc>"
    )
    top = dpml.compile("<idoc>" + instr("dpml", "this:response", operand="mem:mid") + "</idoc>")
    assert top.run(dctx, max_depth=2) == "leaf"
    with pytest.raises(DepthLimitExceeded):
        top.run(dctx, max_depth=1)


def test_a_limit_reached_in_a_called_script_is_located_in_the_caller(dctx, memory):
    memory.items["mem:sub"] = "<idoc>\n\n\n\n\n" + FOREVER[len("<idoc>") :]  # far down
    top = dpml.compile("<idoc>\n  " + instr("dpml", operand="mem:sub") + "\n</idoc>")
    with pytest.raises(StepLimitExceeded) as caught:
        top.run(dctx, max_steps=50)
    assert (caught.value.line, caught.value.column) == (2, 3)  # the call, in this text


def test_nesting_deeper_than_the_stack_is_a_depth_limit_no_handler_catches(dctx, memory):
    """Deeply nested blocks in a self-calling script exhaust Python's stack before
    max_depth: that is the depth limit too, never a RecursionError a handler swallows."""
    nested = "<seq>" * 60 + instr("dpml", operand="mem:deep") + "</seq>" * 60
    memory.items["mem:deep"] = (
        "<idoc><seq>"
        + nested
        + "<exception>"
        + instr("copy", "this:response", operand="data:,caught")
        + "</exception></seq></idoc>"
    )
    with pytest.raises(DepthLimitExceeded, match="too deep"):
        dpml.run("<idoc>" + instr("dpml", operand="mem:deep") + "</idoc>", dctx)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_steps": "5"},
        {"max_steps": 0},
        {"max_depth": "x"},
        {"max_depth": None},
        {"params": "abc"},
    ],
)
def test_bad_run_arguments_are_config_errors(dctx, kwargs):
    program = dpml.compile("<idoc/>")
    with pytest.raises(ConfigError):
        program.run(dctx, **kwargs)
    with pytest.raises(ConfigError, match="Context"):
        program.run(None)


def _script(i: int, size: int) -> str:
    """A script carrying ``size`` characters of literal data: cheap to parse, costly to
    keep (the text is the cache's key, and the program holds the data again)."""
    return "<idoc>" + instr("copy", "this:response", operand=f"data:,{i}{'x' * size}") + "</idoc>"


def test_the_compile_cache_is_bounded_by_size_not_only_count():
    dpml.compile("<idoc/>")  # the parser is built once per process: not counted below
    large = retained(lambda: [dpml.compile(_script(i, 1 << 20)) for i in range(20)])
    assert large < 4 << 20  # 1 MiB scripts are not kept at all (it was 40 MiB)
    many = retained(lambda: [dpml.compile(_script(i, 200 << 10)) for i in range(100)])
    assert many < 12 << 20  # 4 Mi characters of scripts at most, with programs (was 40 MiB)
    small = _script(0, 10)
    assert dpml.compile(small) is dpml.compile(small)  # a small script is compiled once
