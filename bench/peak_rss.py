"""Run a Python program and write its own peak resident set size (KB) to a file at exit.

    python bench/peak_rss.py OUT -m MODULE [ARG ...]
    python bench/peak_rss.py OUT SCRIPT [ARG ...]

The kernel's ru_maxrss of a child (wait4, RUSAGE_CHILDREN) starts from the size of the process
that forked it, since exec keeps the old high-water mark: a small tool spawned by a 60 MB
benchmark reports 60 MB. VmHWM in /proc/self/status is the high-water mark of the program's own
memory since exec, so this reads it at interpreter exit (atexit: after the program's last line,
also on sys.exit). Stdlib only: the peers' Python runs it too (bench/bench_peers.py).
"""

from __future__ import annotations

import atexit
import runpy
import sys
from pathlib import Path


def _peak_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    out, target, *rest = sys.argv[1:]
    atexit.register(lambda: Path(out).write_text(str(_peak_kb())))
    if target == "-m":
        module, *arguments = rest
        sys.argv = [module, *arguments]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    else:
        sys.argv = [target, *rest]
        runpy.run_path(target, run_name="__main__")


if __name__ == "__main__":
    main()
