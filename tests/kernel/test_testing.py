"""kernel.testing: what a plugin author's tests build on."""

from kernel import hookimpl
from kernel.testing import ManualClock, hermetic_kernel


class Clocked:
    """A plugin whose scheme tells the kernel's time."""

    @hookimpl
    def roc_schemes(self, kernel):
        class Now:
            def source(self, request, ctx):
                return kernel.clock()

        return {"now": Now()}


def test_hermetic_kernel_has_the_builtins_and_only_the_plugins_named():
    clock = ManualClock(100.0)
    with hermetic_kernel(Clocked(), clock=clock) as k:
        assert k.context().source("now:") == 100.0
        clock.advance(5)
        assert k.context().source("now:") == 105.0
        assert "data" in k.schemes and "hello" not in k.schemes  # no entry points
        assert k.schemes["now"].plugin.startswith("tests.kernel.test_testing.Clocked")


def test_hermetic_kernel_takes_config_and_module_names():
    with hermetic_kernel("roc_hello", config={"kernel": {"workers": 2}}) as k:
        assert k.context().source("hello:you") == "Hello you"
        assert k.config["kernel"]["workers"] == 2
