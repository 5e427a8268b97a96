"""``python -m bench [SCENARIO...] [--rounds N] [--json FILE] [--list]``."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys

from . import harness


def load_scenarios() -> None:
    import bench

    for info in pkgutil.iter_modules(bench.__path__):
        if info.name not in ("harness", "__main__"):
            importlib.import_module(f"bench.{info.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="scenarios to run (default: all)")
    parser.add_argument("--rounds", type=int, default=7, help="samples per case")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--list", action="store_true", help="list scenarios and exit")
    args = parser.parse_args(argv)
    load_scenarios()
    if args.list:
        for name, (_, doc) in sorted(harness.SCENARIOS.items()):
            print(f"{name:<20} {doc.splitlines()[0] if doc else ''}")
        return 0
    unknown = [n for n in args.names if n not in harness.SCENARIOS]
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}; try --list", file=sys.stderr)
        return 2
    out = {}
    for name in args.names or sorted(harness.SCENARIOS):
        setup, _ = harness.SCENARIOS[name]
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            with setup() as cases:
                results = harness.run_scenario(cases, rounds=args.rounds)
        except ModuleNotFoundError as e:  # a peer the scenario compares with
            print(
                f"{name}: needs {e.name!r}: pip install -r bench/requirements.txt "
                "(make bench does)",
                file=sys.stderr,
            )
            return 2
        print(harness.report(name, results), flush=True)
        out[name] = {r.label: r.median for r in results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
