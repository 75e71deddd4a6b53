"""Run every benchmark module tests/bench/bench_*.py (or those named on the command line) and print figures."""
from __future__ import annotations

import pkgutil
import subprocess
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
        # Each benchmark in a fresh process: peak-memory figures (ru_maxrss, which Linux keeps across fork and
        # exec) must not carry over what an earlier benchmark held.
        rc = subprocess.run([sys.executable, "-c", f"import tests.bench.{name} as m; m.main()"]).returncode
        if rc != 0:
            print(f"!! {name} failed (exit status {rc})", flush=True)
            failed.append(name)
        print(f"== {name} took {time.monotonic() - t0:.1f}s\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
