"""CPU seconds used by this process and every process it started (Chromium, its driver, openssl), from /proc."""
from __future__ import annotations

import os

TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int | None = None) -> float:
    """User + system time of `root` (default: this process) and its live descendants, each with the children it
    has reaped: unlike wall time, it does not grow when other work loads the machine."""
    root = root or os.getpid()
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                data = fh.read()
        except OSError:  # the process ended meanwhile
            continue
        fields = data[data.rindex(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(name))
        cpu[int(name)] = sum(int(x) for x in fields[11:15]) / TICK  # utime, stime, cutime, cstime
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += children.get(pid, [])
    return total
