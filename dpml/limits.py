"""How far a script may run: the defaults of ``max_steps`` and of call nesting (kept apart
so ``roc run --help`` can show them without loading the interpreter)."""

__all__ = ["DEFAULT_MAX_STEPS", "DEFAULT_MAX_DEPTH"]

DEFAULT_MAX_STEPS = 1_000_000
DEFAULT_MAX_DEPTH = 32
