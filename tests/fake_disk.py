"""The fake world on disk, shared by processes: the SIGKILL tests run one sync as a child with
`python -m tests.fake_disk DIR [LATENCY]`. It prints `ready` once its imports are done and its
stores open, so the parent times its kill from there. Imports only the engine, never pytest.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from crosspost.accounts import Account
from crosspost.config import Config, SyncRule
from crosspost.errors import PlatformError
from crosspost.model import (
    Limits,
    Media,
    Platform,
    Post,
    PostRef,
    RichText,
    Visibility,
)
from crosspost.platforms.base import Draft, Page
from crosspost.platforms.registry import spec
from crosspost.state import Ledger
from crosspost.sync.engine import SyncEngine
from tests.fake_platform import PAGE, T0, mirror_post, ref_of, tag_spans

# --- the same world on disk, shared by processes (the SIGKILL tests) ---------------------------
#
# `world.sqlite3` holds every account's posts; `state.sqlite3` is the engine's real ledger. Each
# publish is one SQLite transaction, so a SIGKILL leaves a post either made or not, as on a
# server. The two targets dedup like the real platforms (DESIGN.md, Dedup):
#
# - `masto` (Mastodon-like) honours the Idempotency-Key: a publish with a key already used answers
#   the post made the first time (Mastodon keeps keys about an hour; here, for ever);
# - `tumb` (Tumblr-like) has no key: every publish makes a post; only the engine's marker lookup
#   (`find_published`: `source_url` = the source URL with the publish's key as fragment, among
#   the latest posts) keeps a retry from posting twice.
#
# LATENCY (seconds) is the network's: each publish waits that long before the post exists and
# again before the answer arrives, so a kill lands as often in the window a real server leaves
# (posted, answer not yet back) as elsewhere.

WORLD = "world.sqlite3"
STATE = "state.sqlite3"
SEARCH_WINDOW = 50  # posts the Tumblr-like marker lookup reads, like the adapter's
DISK_ACCOUNTS = {
    "src": Account("src", Platform.TUMBLR, "src"),
    "masto": Account("masto", Platform.MASTODON, "alice@masto.test"),
    "tumb": Account("tumb", Platform.TUMBLR, "mirror"),
}
DISK_RULE = SyncRule(
    name="xp", source="src", targets=("masto", "tumb"), include_tags=("crosspost",)
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    account   TEXT NOT NULL,
    id        TEXT NOT NULL,
    post      TEXT NOT NULL,
    origin    TEXT,           -- the source post's key (the marker, read by the checks)
    marker    TEXT,           -- what find_published looks for
    idem_key  TEXT,           -- Idempotency-Key, where the platform honours one
    draft_key TEXT            -- the draft's key, for the checks only (no lookup reads it)
);
CREATE INDEX IF NOT EXISTS posts_account ON posts (account, seq);
"""


def connect(folder: Path) -> sqlite3.Connection:
    db = sqlite3.connect(folder / WORLD, isolation_level=None, timeout=30.0)
    # A SIGKILL loses nothing a committed transaction wrote (the OS keeps the pages), so the
    # world needs no fsync; only a power cut would, and that is not what these tests simulate.
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    db.executescript(_SCHEMA)
    return db


def _insert(db: sqlite3.Connection, account: Account, post: Post, **columns: str | None) -> None:
    db.execute(
        "INSERT INTO posts (account, id, post, origin, marker, idem_key, draft_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            account.name,
            post.ref.id,
            json.dumps(post.to_json()),
            columns.get("origin"),
            columns.get("marker"),
            columns.get("idem_key"),
            columns.get("draft_key"),
        ),
    )


def add_source(db: sqlite3.Connection, text: str, *, tags: tuple[str, ...], minutes: int) -> Post:
    """A post written by hand on the source account."""
    account = DISK_ACCOUNTS["src"]
    number = db.execute("SELECT COUNT(*) FROM posts WHERE account = 'src'").fetchone()[0]
    post = Post(
        ref=ref_of(account, f"s{number + 1}"),
        created_at=T0 + timedelta(minutes=minutes),
        text=RichText(text, tag_spans(text)),
        tags=tags,
    )
    _insert(db, account, post)
    return post


def posts_of(db: sqlite3.Connection, account: str) -> list[tuple[Post, str | None]]:
    """(post, draft key) of an account, oldest first."""
    rows = db.execute(
        "SELECT post, draft_key FROM posts WHERE account = ? ORDER BY seq", (account,)
    )
    return [(Post.from_json(json.loads(post)), key) for post, key in rows]


class DiskPlatform:
    """One account's client on the world on disk; `masto` honours Idempotency-Key."""

    def __init__(self, account: Account, db: sqlite3.Connection, latency: float = 0.0) -> None:
        self.account, self.db, self.latency = account, db, latency
        self.honours_key = account.platform is Platform.MASTODON

    def limits(self) -> Limits:
        return spec(self.account.platform).limits

    def sees(self, visibility: Visibility) -> bool:
        return True

    def _posts(self, limit: int, offset: int) -> list[Post]:
        rows = self.db.execute(
            "SELECT post FROM posts WHERE account = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
            (self.account.name, limit, offset),
        )
        return [Post.from_json(json.loads(row[0])) for row in rows]

    def fetch_page(self, cursor: str | None = None) -> Page:
        start = int(cursor or 0)
        posts = self._posts(limit=PAGE + 1, offset=start)
        more = len(posts) > PAGE
        return Page(tuple(posts[:PAGE]), str(start + PAGE) if more else None)

    def fetch_post(self, ref: PostRef) -> Post | None:
        row = self.db.execute(
            "SELECT post FROM posts WHERE account = ? AND id = ?", (self.account.name, ref.id)
        ).fetchone()
        return None if row is None else Post.from_json(json.loads(row[0]))

    def _marker(self, draft: Draft) -> str | None:
        if draft.origin is None or not draft.origin.url:
            return None
        if self.honours_key:  # Mastodon: the origin's URL in the text, and the reply parent
            parent = draft.reply_to.id if draft.reply_to else ""
            return f"{draft.origin.url} {parent}"
        return f"{draft.origin.url}#{draft.idempotency_key}"  # Tumblr: source_url

    def publish(self, draft: Draft) -> PostRef:
        self._travel()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            ref = self._publish(draft)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._travel()
        return ref

    def _travel(self) -> None:
        if self.latency:
            time.sleep(self.latency)  # the child's simulated network; tests never get here

    def _publish(self, draft: Draft) -> PostRef:
        if self.honours_key:
            row = self.db.execute(
                "SELECT id FROM posts WHERE account = ? AND idem_key = ?",
                (self.account.name, draft.idempotency_key),
            ).fetchone()
            if row is not None:
                return ref_of(self.account, row[0])
        if draft.reply_to is not None and self.fetch_post(draft.reply_to) is None:
            raise PlatformError(f"reply parent {draft.reply_to.id} does not exist")
        number = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM posts").fetchone()[0]
        post = mirror_post(self.account, f"p{number + 1}", draft, T0)
        _insert(
            self.db,
            self.account,
            post,
            origin=draft.origin.key if draft.origin else None,
            marker=self._marker(draft),
            idem_key=draft.idempotency_key if self.honours_key else None,
            draft_key=draft.idempotency_key,
        )
        return post.ref

    def find_published(self, draft: Draft) -> PostRef | None:
        marker = self._marker(draft)
        if marker is None:
            return None
        row = self.db.execute(
            "SELECT id FROM (SELECT id, marker FROM posts WHERE account = ? "
            "ORDER BY seq DESC LIMIT ?) WHERE marker = ?",
            (self.account.name, SEARCH_WINDOW, marker),
        ).fetchone()
        return None if row is None else ref_of(self.account, row[0])

    def delete(self, ref: PostRef) -> None:
        self.db.execute(
            "DELETE FROM posts WHERE account = ? AND id = ?", (self.account.name, ref.id)
        )

    def fetch_media(self, media: Media) -> bytes:
        return b""


def sync_on_disk(folder: Path, *, ready: bool = False, latency: float = 0.0) -> None:
    """One `crosspost sync` of the world in `folder`, taking the run lock as the CLI does: at
    the run's first write (`Ledger.guard`)."""
    config = Config(path=None, accounts=DISK_ACCOUNTS, rules=(DISK_RULE,))
    with closing(connect(folder)) as db, Ledger(folder / STATE) as state:

        def clients(account: Account, writing: bool) -> DiskPlatform:
            return DiskPlatform(account, db, latency)

        # No posting caps: 200 rounds post more than Tumblr's 250 a day (tests/test_migrate.py
        # tests the caps); here every rerun must finish.
        engine = SyncEngine(config, state, clients, caps={})
        if ready:
            print("ready", flush=True)
        lock = state.lock()
        state.guard(lock.acquire)
        try:
            engine.run()
        finally:
            lock.release()


def ledger(folder: Path) -> Iterator[tuple[str, str, int, str, str | None]]:
    """(source key, target, chunk, status, target post key) of every ledger entry."""
    with closing(sqlite3.connect(folder / STATE)) as db:
        yield from db.execute(
            "SELECT source_key, target, chunk, status, target_key FROM mirrors ORDER BY rowid"
        )


if __name__ == "__main__":
    folder, latency = Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    sync_on_disk(folder, ready=True, latency=latency)
