"""Run every benchmark module tests/bench/bench_*.py (or those named on the command line) and print figures."""
from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import tests.bench


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(tests.bench.__path__) if m.name.startswith("bench_"))
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv] or names
    failed = []
    for name in wanted:
        if name not in names:
            print(f"unknown benchmark {name!r}; available: {', '.join(names)}", file=sys.stderr)
            return 2
        print(f"== {name}", flush=True)
        t0 = time.monotonic()
        try:
            importlib.import_module(f"tests.bench.{name}").main()
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            print(f"!! {name} failed: {type(exc).__name__}: {exc}", flush=True)
            failed.append(name)
        print(f"== {name} took {time.monotonic() - t0:.1f}s\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
