"""mastodon-mock (as tests/mastodon_account_server.py extends it) in a process of its own, with
accounts u000 ... u{N-1} (tokens uNNN_token), so many worker processes load it as a real server,
not a thread of the test. Prints its URL on one line when serving; stops on SIGTERM.

    python -m tests.mastodon_process MEDIA_DIR MEMBERS [REQUESTS_PER_WINDOW WINDOW_SECONDS]

With the last two, each token (and each address) may send that many API requests a window, as
Mastodon's own per-token limit counts them (300 per 5 minutes), narrowed so a test meets it.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from tests.mastodon_account_server import ApiLimits, serving


def member_seed(members: int) -> object:
    from mastodon_mock.config import SeedAccount, SeedConfig

    return SeedConfig(
        accounts=[
            SeedAccount(
                username=f"u{n:03d}", display_name=f"Member {n}", access_token=f"u{n:03d}_token"
            )
            for n in range(members)
        ]
    )


def main() -> None:
    media, members = Path(sys.argv[1]), int(sys.argv[2])
    limits = (
        ApiLimits(per_window=int(sys.argv[3]), period=int(sys.argv[4]))
        if len(sys.argv) > 4
        else None
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with serving(media, seed=member_seed(members), limits=limits) as server:
        print(server.base_url, flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
