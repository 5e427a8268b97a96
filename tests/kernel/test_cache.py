"""The representation cache's rules (README "The representation cache"): what is kept,
what it depends on, when it goes, and whose it is."""

from __future__ import annotations

import pytest

from kernel import (
    ConfigError,
    Request,
    Response,
    UnsupportedRepresentation,
    Value,
    Verb,
    hookimpl,
)
from kernel.testing import ManualClock, hermetic_kernel

from .cachekit import World


@pytest.fixture
def world():
    return World()


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def kernel(world, clock, tmp_path):
    with hermetic_kernel(world, clock=clock, config={"file": {"root": str(tmp_path)}}) as k:
        yield k


@pytest.fixture
def ctx(kernel):
    return kernel.context()


def test_a_response_is_kept_and_served_again(ctx, kernel, world):
    ctx.sink("mem:a", "one")
    assert ctx.source("mem:a") == "one"
    assert ctx.source("mem:a") == "one"
    assert ctx.request(Request(Verb.SOURCE, "mem:a")).representation == "one"
    assert world.memory.reads["mem:a"] == 1
    stats = kernel.cache.stats()
    assert stats["hits"] == 2 and stats["misses"] == 1 and stats["entries"] == 1
    assert stats["evictions"] == 0


def test_exists_is_kept_too_and_follows_writes(ctx):
    assert ctx.exists("mem:e") is False
    ctx.sink("mem:e", 1)
    assert ctx.exists("mem:e") is True
    ctx.delete("mem:e")
    assert ctx.exists("mem:e") is False


def test_a_response_that_says_not_cacheable_is_computed_every_time(kernel):
    calls = []

    class Volatile:
        def source(self, request, ctx):
            calls.append(1)
            return Response(len(calls), cacheable=False)

    class Plugin:
        @hookimpl
        def roc_schemes(self):
            return {"vol": Volatile()}

    with hermetic_kernel(Plugin()) as k:
        ctx = k.context()
        assert [ctx.source("vol:x") for _ in range(3)] == [1, 2, 3]
        assert k.cache.stats()["entries"] == 0


def test_plain_values_are_kept_only_when_the_handler_says_cacheable(ctx, world):
    assert ctx.source("plain:x") == "plain 1"
    assert ctx.source("plain:x") == "plain 2"
    assert ctx.source("declared:x") == "plain 1"
    assert ctx.source("declared:x") == "plain 1"


def test_an_accessors_plain_value_is_kept_only_when_it_says_cacheable(ctx, world):
    ctx.sink("mem:a", "x")
    for _ in range(3):
        assert ctx.source("active:upper+operand@mem:a") == "X"
        assert ctx.source("active:uncached+operand@mem:a") == "x"
    assert world.runs["upper"] == 1 and world.runs["uncached"] == 3


def test_a_result_built_on_something_uncacheable_is_not_kept(ctx, world):
    for _ in range(2):
        ctx.source("active:upper+operand@plain:x")
    assert world.runs["upper"] == 2
    assert ctx.source("active:upper+operand@plain:x") == "PLAIN 3"


def test_a_write_expires_dependents_through_three_levels_of_accessors(ctx, world):
    ctx.sink("mem:leaf", "v1")
    deep = "active:wrap+operand@" + "active:wrap%2Boperand@active:upper%252Boperand@mem:leaf"
    # three accessors, each over the next: wrap(wrap(upper(mem:leaf)))
    assert ctx.source(deep) == "[[V1]]"
    assert ctx.source(deep) == "[[V1]]"
    assert world.runs == {"wrap": 2, "upper": 1}
    ctx.sink("mem:leaf", "v2")  # expired before sink returns: the next read sees v2
    assert ctx.source(deep) == "[[V2]]"
    assert world.runs == {"wrap": 4, "upper": 2}
    ctx.delete("mem:leaf")
    assert ctx.source(deep) == "[[NONE]]"
    ctx.new("mem:leaf", "v3")
    assert ctx.source(deep) == "[[V3]]"


def test_a_write_to_a_middle_level_expires_what_is_above_it(ctx, world):
    ctx.sink("mem:a", "a")
    ctx.sink("mem:b", "b")
    top = "active:join+a@active:upper%2Boperand@mem:a+b@mem:b"
    assert ctx.source(top) == "A+b"
    ctx.sink("mem:b", "B2")
    assert ctx.source(top) == "A+B2"
    assert world.runs["upper"] == 1  # the branch that did not change came from the cache
    assert world.runs["join"] == 2


def test_a_computation_with_a_side_effect_is_never_kept(ctx, world):
    ctx.sink("mem:a", "x")
    for n in (1, 2, 3):
        assert ctx.source("active:writer+operand@mem:a") == "x"
        assert ctx.source("mem:log") == f"wrote {n}"  # the side effect happened each time
    assert world.runs["writer"] == 3


def test_expires_follows_the_kernel_clock(ctx, clock, world):
    ctx.sink("timed:t", ("early", clock.now + 10))
    assert ctx.source("active:upper+operand@timed:t") == "EARLY"
    clock.advance(9)
    assert ctx.source("active:upper+operand@timed:t") == "EARLY"
    assert world.runs["upper"] == 1
    clock.advance(1)  # expires is the first moment it is stale
    world.memory.values["timed:t"] = ("late", clock.now + 10)  # behind the kernel's back
    assert ctx.source("active:upper+operand@timed:t") == "LATE"
    assert world.runs["upper"] == 2


def test_an_entry_expires_at_the_earliest_expiry_of_what_it_read(ctx, clock, world):
    ctx.sink("timed:soon", ("s", clock.now + 5))
    ctx.sink("timed:later", ("l", clock.now + 50))
    both = "active:join+a@timed:soon+b@timed:later"
    assert ctx.source(both) == "s+l"
    clock.advance(5)
    world.memory.values["timed:soon"] = ("s2", clock.now + 5)
    assert ctx.source(both) == "s2+l"


def test_a_layers_resources_are_never_served_outside_it(kernel, world):
    class Local:
        def __init__(self, value):
            self.value = value

        def source(self, request, ctx):
            return Response(self.value)

    ctx = kernel.context()
    one = ctx.layered({"lay": Local("one")})
    two = ctx.layered({"lay": Local("two")})
    assert one.source("active:upper+operand@lay:x") == "ONE"
    assert two.source("active:upper+operand@lay:x") == "TWO"
    assert one.source("active:upper+operand@lay:x") == "ONE"
    assert kernel.cache.stats()["entries"] == 0


def test_arguments_by_value_are_never_shared(ctx, world):
    for value in ("a", "b", "a"):
        request = Request(Verb.SOURCE, "active:upper", arguments={"operand": Value(value)})
        assert ctx.request(request).representation == value.upper()
    assert world.runs["upper"] == 3


def test_the_principal_is_part_of_the_key(kernel, world):
    alice, bob = kernel.context("alice"), kernel.context("bob")
    assert alice.source("active:who") == "for alice"
    assert bob.source("active:who") == "for bob"
    assert alice.source("active:who") == "for alice"
    assert kernel.context().source("active:who") == "for None"
    assert world.runs["who"] == 3


def test_the_requested_type_is_part_of_the_key(ctx):
    ctx.sink("mem:n", "<b>t</b>")
    assert ctx.source("mem:n") == "<b>t</b>"
    assert ctx.source("mem:n", bool) is True
    assert ctx.source("mem:n", bool) is True
    assert ctx.source("mem:n") == "<b>t</b>"


def test_a_failure_is_not_kept(ctx, world):
    with pytest.raises(UnsupportedRepresentation):  # mem:ptr holds None, not a URI
        ctx.source("active:upper+operand@curi:mem:ptr")
    ctx.sink("mem:a", "here")
    ctx.sink("mem:ptr", "mem:a")
    assert ctx.source("active:upper+operand@curi:mem:ptr") == "HERE"
    ctx.sink("mem:ptr", "mem:b")  # the pointer is a dependency too
    ctx.sink("mem:b", "there")
    assert ctx.source("active:upper+operand@curi:mem:ptr") == "THERE"


def test_a_hit_is_a_copy_of_the_response_not_the_entry(ctx):
    ctx.sink("mem:t", "<b>t</b>")
    first = ctx.request(Request(Verb.SOURCE, "mem:t", rtype=bool))
    second = ctx.request(Request(Verb.SOURCE, "mem:t"))
    assert first.representation is True and second.representation == "<b>t</b>"


def test_data_is_cacheable(ctx, kernel):
    for _ in range(3):
        assert ctx.source("data:,hello") == "hello"
    assert kernel.cache.stats()["hits"] == 2


def test_max_entries_zero_turns_the_cache_off(world):
    with hermetic_kernel(world, config={"cache": {"max_entries": 0}}) as k:
        ctx = k.context()
        ctx.sink("mem:a", "x")
        for _ in range(3):
            assert ctx.source("active:upper+operand@mem:a") == "X"
        assert world.runs["upper"] == 3
        assert k.cache.stats()["entries"] == 0 and k.cache.stats()["hits"] == 0


@pytest.mark.parametrize("bad", [-1, "10", 1.5, True])
def test_a_bad_max_entries_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="cache.max_entries"):
        hermetic_kernel(config={"cache": {"max_entries": bad}})


def test_a_handler_that_says_nothing_is_kept_once_it_answers_cacheably():
    class Quiet:
        def __init__(self):
            self.calls = 0

        def source(self, request, ctx):
            self.calls += 1
            return Response(f"answer {self.calls}")

    quiet = Quiet()

    class Plugin:
        @hookimpl
        def roc_schemes(self):
            return {"quiet": quiet}

    with hermetic_kernel(Plugin()) as k:
        ctx = k.context()
        # the first answer shows it gives cacheable Responses; from then on they are kept
        assert [ctx.source("quiet:x") for _ in range(3)] == ["answer 1", "answer 2", "answer 2"]
        assert [ctx.source("quiet:y") for _ in range(2)] == ["answer 3", "answer 3"]


def test_a_uri_called_directly_before_goes_to_the_cache_once_its_handler_answers_cacheably():
    class Changing:  # says nothing; its first answers are not cacheable, later ones are
        def __init__(self):
            self.calls = 0

        def source(self, request, ctx):
            self.calls += 1
            return Response(f"answer {self.calls}", cacheable=self.calls > 3)

    changing = Changing()

    class Plugin:
        @hookimpl
        def roc_schemes(self):
            return {"changing": changing}

    with hermetic_kernel(Plugin()) as k:
        ctx = k.context()
        answers = [ctx.source("changing:x") for _ in range(7)]
        assert answers == [f"answer {n}" for n in (1, 2, 3, 4, 5, 5, 5)]


def test_a_computation_that_asks_another_thread_is_not_kept(world):
    runs = []

    def in_background(request, ctx):
        runs.append(1)
        return ctx.request_async(Request(Verb.SOURCE, "arg:operand")).result(10).representation

    in_background.cacheable = True

    class Plugin:
        @hookimpl
        def roc_accessors(self):
            return {"inBackground": in_background}

    with hermetic_kernel(world, Plugin()) as k:
        ctx = k.context()
        ctx.sink("mem:a", "one")
        assert ctx.source("active:inBackground+operand@mem:a") == "one"
        assert ctx.source("active:inBackground+operand@mem:a") == "one"
        assert len(runs) == 2  # the kernel cannot see what the other thread read
