"""Run a Python module with os.fsync a no-op: what durability costs a backup, for comparison
with tools that never sync (bench/bench_peers.py --unsynced). Never for real backups.

    python bench/no_fsync.py -m MODULE [ARG ...]
"""

from __future__ import annotations

import os
import runpy
import sys


def _skip(descriptor: object) -> None:
    return None


def main() -> None:
    flag, module, *arguments = sys.argv[1:]
    if flag != "-m":
        raise SystemExit("usage: no_fsync.py -m MODULE [ARG ...]")
    os.fsync = _skip  # type: ignore[assignment]  # takes a descriptor or a file, like fsync
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
