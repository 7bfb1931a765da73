"""The backup engine: complete, incremental, crash-safe snapshots of one account.

Pages are read ahead on a thread of their own (reader.py, which also decides where an incremental
run stops); each page's media download on a bounded pool (media.py) meanwhile, and this module
writes each page's posts once its media are stored, makes them durable and checkpoints the
manifest past the page. So a rerun after any interruption continues where it stopped and ends
with the snapshot an uninterrupted run gives. `--full` re-lists everything, updates edited posts
and marks posts gone from the platform as deleted (confirmed one by one; the local copy is kept).
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from crosspost.backup.account_files import load_profile
from crosspost.backup.account_run import POSTS as POSTS_PART
from crosspost.backup.account_run import AccountDataStep
from crosspost.backup.lock import AccountLock
from crosspost.backup.manifest import Journal, Manifest, RunState, load_manifest, save_manifest
from crosspost.backup.media import (
    MediaResult,
    MediaStore,
    Missing,
    PendingMedia,
    all_media,
    is_stored,
    with_saved_media,
)
from crosspost.backup.platform_count import describe_count
from crosspost.backup.reader import PageReader, ReadPage, StopRule
from crosspost.backup.result import (
    DEFAULT_EDIT_WINDOW,
    BackupOptions,
    BackupResult,
)
from crosspost.backup.store import (
    AccountBackup,
    BackupStore,
    post_document,
    quarantine,
    remove_temp_files,
    sync_folder,
)
from crosspost.errors import DataError, PlatformError, RateLimitedError
from crosspost.model import Media, Post, PostRef, Visibility
from crosspost.platforms.base import (
    HasEditHistory,
    HasStableId,
    ListsChanges,
    Page,
    PlatformClient,
    UsesSavedProfile,
)
from crosspost.progress import NoProgress, Progress

__all__ = [
    "DEFAULT_EDIT_WINDOW",
    "BackupOptions",
    "BackupResult",
    "run_backup",
]
POSTS, MEDIA = "posts", "media"
# The most pages written as one commit (one sync of their files, of the folder, of the journal
# and of the manifest): a commit costs about the same for one page or eight, so when the listing
# runs ahead of the writer the pages waiting are committed together (reader.PageReader.batches).
COMMIT_PAGES = 8
Now = Callable[[], datetime]


def run_backup(
    client: PlatformClient,
    store: BackupStore,
    options: BackupOptions | None = None,
    *,
    progress: Progress | None = None,
    now: Now = lambda: datetime.now(UTC),
) -> BackupResult:
    """Back up one account into `store`. When a rate limit or daily cap ends the run early, the
    result says so (`stopped`, `retry_after`) after a checkpoint: the same call resumes it.
    One run per account folder at a time (BackupLockedError); a first run that fails before
    saving anything leaves no folder behind."""
    options = options or BackupOptions()
    stable = client.stable_id() if isinstance(client, HasStableId) else None
    backup = store.locate(client.account.platform, client.account.identity, stable)
    created = _new_folders(store.root, backup.folder)
    try:
        with AccountLock(backup.folder):
            result = _run_all(client, backup, options, progress or NoProgress(), now)
    except BaseException:
        _remove_if_empty(backup, created)
        raise
    if not result.complete:
        _remove_if_empty(backup, created)
    return result


def _run_all(
    client: PlatformClient, backup: AccountBackup, options: BackupOptions, progress: Progress,
    now: Now,
) -> BackupResult:  # fmt: skip
    run = _Run(client, backup, options, progress, now, hand_over=True)
    result = run.execute()
    if result.resumed and result.complete:
        # Posts made while the run was interrupted sit above where it resumed: one more pass,
        # which the first left in the manifest as a run to resume (not yet complete).
        again = _Run(client, backup, _top_up(options), run.progress, now)
        extra = again.execute()
        last = {key: extra.counts[key] for key in ("media_missing", "media_skipped")}
        result.counts.update(extra.counts)  # adds: both runs' work
        for key, value in last.items():  # what is left is what the last pass saw
            result.counts[key] = value
        result.complete, result.stopped = extra.complete, extra.stopped
    return result


@dataclass
class _PagePending:
    items: list[tuple[Post | None, PendingMedia | Post]]  # (saved copy, post or its downloads)
    next_cursor: str | None
    last: bool


class _Run:
    def __init__(
        self,
        client: PlatformClient,
        backup: AccountBackup,
        options: BackupOptions,
        progress: Progress,
        now: Now,
        *,
        hand_over: bool = False,
    ) -> None:
        self.client, self.backup, self.options = client, backup, options
        self.hand_over = hand_over  # a resumed run leaves the pass over newer posts to resume
        self.progress, self.now = progress, now
        self.journal = Journal(backup)
        self.manifest: Manifest = load_manifest(backup)
        if isinstance(client, HasStableId):
            self.manifest.stable_id = client.stable_id()
        if isinstance(client, UsesSavedProfile):
            with contextlib.suppress(DataError):  # a damaged profile file: verify says so
                client.use_saved_profile(load_profile(backup))
        if client.account.identity != self.manifest.stable_id:
            self.manifest.handle = client.account.identity
        self.result = BackupResult(
            backup.platform.value, backup.account, backup.folder, options.mode
        )
        self.counts = self.result.counts
        self._lock = threading.Lock()
        self.media: MediaStore | None = None
        self.listed_this_run: set[str] = set()
        self.rate_limit: RateLimitedError | None = None
        self.restoring: set[str] = set(self.manifest.refetch)  # damaged copies, fetched again
        self.whole_listing = False  # this run lists every post (a progress total makes sense)
        self.total_given = False
        self.listed_before = 0  # posts a resumed listing read before this process began
        self.counted: int | None = None  # the platform's count of posts, from the last page

    # --- the run ---------------------------------------------------------------------------------

    def execute(self) -> BackupResult:
        remove_temp_files(self.backup.folder)
        posts = self.options.wants(POSTS_PART)
        state = self._start() if posts else None
        if self.options.media:
            self.media = MediaStore(self.backup, self._fetch_media, self.options.workers)
        try:
            if state is not None and not state.listed:
                self._list(state)
            if state is not None and self.rate_limit is None:
                self._refetch()
            if state is not None and self.rate_limit is None:
                self._retry_media()
            if state is not None and self.rate_limit is None and self.options.full:
                self._mark_deleted(state)
            if self.rate_limit is None:
                self._account_data()
        except RateLimitedError as error:
            self.rate_limit = error
        finally:
            if self.media is not None:
                self.media.close()
        if self.rate_limit is not None:
            self._stop(self.rate_limit)
        self._finish()
        return self.result

    def _start(self) -> RunState:
        state = self.manifest.run
        since = self.options.since.isoformat() if self.options.since else None
        if (
            state is not None
            and state.mode == self.options.mode
            and state.since == since
            and state.media == self.options.media
        ):
            self.result.resumed = True
            self.listed_this_run = self.journal.read()
            if state.pages:  # (none: the pass over posts made while a run was interrupted)
                self.progress.note(
                    f"resuming the interrupted {state.mode} backup after {state.pages} pages"
                )
            return state
        self.journal.clear()
        state = self._new_state(self.options)
        if self.options.media and "imported" in self.manifest.last_run:
            self._note_absent_media()
        self.manifest.run = state
        self.manifest.complete = False
        save_manifest(self.backup, self.manifest)
        return state

    def _new_state(self, options: BackupOptions) -> RunState:
        """A run from the newest post: incremental ones stop where older posts are all known."""
        newest = self.manifest.newest
        boundary = mark = None
        if not options.full and newest is not None and not self._sees_more():
            boundary = (newest - options.edit_window).isoformat()
            if isinstance(self.client, ListsChanges) and self.manifest.change_mark:
                boundary, mark = None, self.manifest.change_mark  # the changes, read to the end
        since = options.since.isoformat() if options.since else None
        return RunState(
            options.mode, self.now().isoformat(), boundary=boundary, since=since,
            media=options.media, changes_after=mark,
        )  # fmt: skip

    def _sees_more(self) -> bool:
        """Whether this run can read posts the last one could not (credentials were added):
        then it lists every post once, as an incremental run would not go back to old ones."""
        if self.manifest.sees is None:
            return False
        wider = [v for v in Visibility if self.client.sees(v) and v.value not in self.manifest.sees]
        if wider:
            names = ", ".join(_VISIBILITY_NAMES.get(v, v.value) for v in wider)
            self.progress.note(
                f"this run can see {names} posts the last run could not: listing every post "
                "once to find them"
            )
        return bool(wider)

    def _note_absent_media(self) -> None:
        """After an import (an export without some or all of the media, as a repo CAR has
        none): every file its posts name that is not stored is fetched by this run, not only
        those of the posts an incremental run lists again."""
        for post_id in list(self.backup.iter_post_ids()):
            if post_id in self.manifest.missing_media:
                continue
            post = self._load_saved(post_id)
            absent = [
                Missing(m.url, "not in the imported export", False)
                for m in (all_media(post) if post is not None else ())
                if m.url and not is_stored(self.backup, m)
            ]
            if absent:
                self.manifest.missing_media[post_id] = [m.to_json() for m in absent]

    def _load_saved(self, post_id: str) -> Post | None:
        """The saved copy of a post; a damaged one is moved to quarantine/ (never deleted) and
        the post is fetched again."""
        try:
            return self.backup.load_post(post_id)
        except DataError as error:
            moved = quarantine(self.backup, self.backup.post_path(post_id))
            self.progress.note(f"{error}: moved to {moved}; the post is fetched again")
            with self._lock:
                self.restoring.add(post_id)
                if post_id not in self.manifest.refetch:
                    self.manifest.refetch.append(post_id)
            return None

    def _list(self, state: RunState) -> None:
        self.listed_before = len(self.listed_this_run)
        self.progress.start(POSTS)
        boundary = datetime.fromisoformat(state.boundary) if state.boundary else None
        if state.changes_after and isinstance(self.client, ListsChanges):
            self.client.list_changes_after(state.changes_after)
        rule = StopRule(self.backup, self.options.since, boundary, set(self.listed_this_run))
        self.whole_listing = rule.reads_to_end
        reader = PageReader(self._fetch_page, rule, state.cursor, self._submit)
        try:
            for batch in reader.batches(lambda: commit_pages(state.pages)):
                pages = [pending for pending in batch if isinstance(pending, _PagePending)]
                self._finalize(state, pages)
                if self.rate_limit is not None:
                    break
        except RateLimitedError as error:  # pages read before it are written and checkpointed
            self.rate_limit = error
        finally:
            reader.close()
            self.progress.finish(POSTS)

    def _fetch_page(self, cursor: str | None) -> Page:
        self._count("list_calls")
        page = self.client.fetch_page(cursor)
        if page.total is not None:
            self.counted = page.total
        if page.total is not None and self.whole_listing and not self.total_given:
            self.total_given = True  # posts listed before an interruption are not counted again
            self.progress.start(POSTS, max(page.total - self.listed_before, 0))
        return page

    def _fetch_media(self, media: Media) -> bytes:
        self._count("media_calls")
        return self.client.fetch_media(media)

    def _count(self, key: str, amount: int = 1) -> None:
        with self._lock:
            self.counts[key] += amount

    # --- one page --------------------------------------------------------------------------------

    def _submit(self, read: ReadPage) -> _PagePending:
        """A page just read (on the reader's thread): its saved copies loaded, media started."""
        items: list[tuple[Post | None, PendingMedia | Post]] = []
        since = self.options.since
        for post in read.page.posts:
            if since is not None and post.created_at < since:
                self._count("older_than_since")
                continue
            saved = self._load_saved(post.ref.id)
            items.append((saved, self._download(with_saved_media(post, saved))))
        self._count("listed", len(read.page.posts))
        self.progress.advance(POSTS, len(read.page.posts))
        return _PagePending(items, read.next_cursor, read.last)

    def _download(self, post: Post) -> PendingMedia | Post:
        if self.media is None or not all_media(post):
            return post
        gone = set()
        if not self.options.full:
            recorded = self.manifest.missing_media.get(post.ref.id, [])
            gone = {str(m.get("url")) for m in recorded if m.get("gone")}
        return self.media.submit(post, gone)

    def _finalize(self, state: RunState, pages: list[_PagePending]) -> None:
        """Write pages (their media done), make them durable, then checkpoint past the last:
        one commit for the pages the listing has read while the last commit was being made."""
        ready = [(saved, self._ready(item)) for pending in pages for saved, item in pending.items]
        posts = [post for _, post in ready]
        changed = self.backup.save_posts(posts, self._absent(ready))  # written, synced, renamed
        sync_folder(self.backup.posts_dir)
        edited = sum(1 for (saved, _), c in zip(ready, changed, strict=True) if c and saved)
        self._count("versions_kept", edited)  # the store kept each one's earlier version
        self._keep_history(ready, changed)
        for (saved, post), was_changed in zip(ready, changed, strict=True):
            self._counted(saved, post, was_changed)
        ids = [post.ref.id for post in posts]
        self.journal.append(ids)
        self.listed_this_run.update(ids)
        state.pages += len(pages)
        state.cursor = pages[-1].next_cursor
        if pages[-1].last:  # media a rate limit left out are retried from missing_media
            state.cursor, state.listed = None, True
        save_manifest(self.backup, self.manifest)

    def _absent(self, ready: list[tuple[Post | None, Post]]) -> set[str]:
        """Posts found without a saved copy when their page was prepared, and not written since
        (listed once in this run, once in this commit): the store need not look for a file."""
        once = Counter(post.ref.id for _, post in ready)
        return {
            post.ref.id
            for saved, post in ready
            if saved is None and once[post.ref.id] == 1 and post.ref.id not in self.listed_this_run
        }

    def _ready(self, item: PendingMedia | Post) -> Post:
        """The post to write, once its media are stored (or recorded as missing)."""
        if isinstance(item, PendingMedia):
            media = item.result()
            self._media_done(media.post, media)
            return media.post
        if self.media is None and (files := all_media(item)):
            self._record_missing(item, [_skipped(m) for m in files if not m.local_path and m.url])
        return item

    def _save(self, saved: Post | None, item: PendingMedia | Post, *, count: bool = True) -> None:
        post = self._ready(item)
        changed = self.backup.save_post(post)
        if count:
            self._counted(saved, post, changed)
        else:
            self.manifest.note_newest(post.ref.id, post.created_at)

    def _counted(self, saved: Post | None, post: Post, changed: bool) -> None:
        self.manifest.note_newest(post.ref.id, post.created_at)
        if post.ref.id in self.restoring:
            self.restoring.discard(post.ref.id)
            if post.ref.id in self.manifest.refetch:
                self.manifest.refetch.remove(post.ref.id)
            self.counts["restored"] += 1
        elif saved is None:
            self.counts["new"] += 1
        elif changed:
            self.counts["updated"] += 1
        else:
            self.counts["unchanged"] += 1

    def _media_done(self, post: Post, media: MediaResult) -> None:
        self.counts["media_downloaded"] += media.downloaded
        self.counts["media_bytes"] += media.bytes
        if media.downloaded:
            self.progress.advance(MEDIA, media.downloaded)
        self._record_missing(post, list(media.missing))
        if media.rate_limited is not None and self.rate_limit is None:
            self.rate_limit = media.rate_limited

    def _record_missing(self, post: Post, missing: list[Missing]) -> None:
        if missing:
            self.manifest.missing_media[post.ref.id] = [m.to_json() for m in missing]
        else:
            self.manifest.missing_media.pop(post.ref.id, None)

    def _keep_history(self, ready: list[tuple[Post | None, Post]], changed: list[bool]) -> None:
        """For posts edited on the platform, the earlier versions it keeps (Mastodon's edit
        history), asked for when a post is first saved edited or changes; the version this
        backup held before is already kept by the store."""
        client = self.client
        if not isinstance(client, HasEditHistory):
            return
        for (saved, post), was_changed in zip(ready, changed, strict=True):
            if post.edited_at is None or not (was_changed or saved is None):
                continue
            if saved is not None and saved.edited_at == post.edited_at:
                continue
            self._count("history_calls")
            try:
                versions = list(client.fetch_history(post.ref))
            except RateLimitedError:
                raise
            except PlatformError as error:
                self.progress.note(f"could not read the edit history of {post.ref.id}: {error}")
                continue
            for version in versions[:-1]:  # the last one is the post as it is now
                if self.backup.add_version(post.ref.id, post_document(version)):
                    self._count("versions_kept")

    def _account_data(self) -> None:
        step = AccountDataStep(
            self.client, self.backup, self.media, self.progress, self.now,
            full=self.options.full, parts=self.options.parts, count=self._count,
        )  # fmt: skip
        try:
            step.run()
        finally:
            self.result.account_data = step.result
            if step.profile is not None and step.profile.handle:
                self.manifest.handle = step.profile.handle
            self.manifest.account_data = {
                "profile": step.result.profile,
                "collections": {k: v.get("entries", 0) for k, v in step.result.collections.items()},
                "unavailable": step.result.unavailable,
            }

    def _posts_done(self) -> None:
        """The listing and what follows it are done: the backup is complete, or (a resumed run)
        the pass over posts made while it was interrupted is what is left to do."""
        self.journal.clear()
        self.manifest.sees = [v.value for v in Visibility if self.client.sees(v)]
        if isinstance(self.client, ListsChanges) and self.options.since is None:
            self.manifest.change_mark = self.client.change_mark() or self.manifest.change_mark
        if self.counted is not None:
            self.manifest.platform_count = describe_count(
                self.client, self.counted, self.now().isoformat(), self._count_since()
            )
        resumed = self.hand_over and self.result.resumed
        self.manifest.run = self._new_state(_top_up(self.options)) if resumed else None
        self.manifest.complete = not resumed

    def _count_since(self) -> str | None:
        """Where the posts kept begin, when a --since run left the older ones out."""
        if self.options.since is not None:
            return self.options.since.isoformat()
        earlier = self.manifest.platform_count
        return earlier.since if earlier is not None and not self.options.full else None

    # --- after the listing -----------------------------------------------------------------------

    def _retry_media(self) -> None:
        """Media an earlier run could not store (or skipped with --no-media), tried again; what
        the server said is gone is asked for again only by --full."""
        if self.media is None:
            return
        todo = [
            post_id
            for post_id, missing in self.manifest.missing_media.items()
            if post_id not in self.listed_this_run
            and (self.options.full or any(not m.get("gone") for m in missing))
        ]
        for post_id in todo:
            post = self._load_saved(post_id)
            if post is None:
                self.manifest.missing_media.pop(post_id, None)
                continue
            self._save(post, self._download(post), count=False)
            if self.rate_limit is not None:
                break
        if todo:
            save_manifest(self.backup, self.manifest)

    def _refetch(self) -> None:
        """Posts whose saved copy was damaged (moved to quarantine/ by `crosspost repair` or by
        this run) and that the listing did not return: asked for one by one."""
        for post_id in [i for i in self.manifest.refetch if i not in self.listed_this_run]:
            self._count("post_calls")
            ref = PostRef(self.backup.platform, self.client.account.identity, post_id)
            try:
                current = self.client.fetch_post(ref)
            except RateLimitedError:
                raise
            except PlatformError as error:
                self.progress.note(f"could not fetch {post_id} again: {error}; the next run tries")
                continue
            if current is None:
                self.manifest.refetch.remove(post_id)
                self.restoring.discard(post_id)
                self.progress.note(
                    f"{post_id} is no longer on the platform: its damaged copy stays in "
                    f"{self.backup.folder / 'quarantine'}"
                )
                continue
            self._save(None, self._download(current))
            self.listed_this_run.add(post_id)
        save_manifest(self.backup, self.manifest)

    def _mark_deleted(self, state: RunState) -> None:
        """Saved posts the full listing did not return: asked for one by one (a listing can
        leave out posts that still exist), then marked deleted; never removed. Posts this client
        cannot see (drafts or followers-only posts saved by a signed-in run, read now as the
        public) are left as they are: to such a reader they would only look deleted."""
        since = self.options.since
        hidden = 0
        for post_id in list(self.backup.iter_post_ids()):
            if post_id in self.listed_this_run:
                continue
            saved = self._load_saved(post_id)
            if saved is None or saved.deleted or (since is not None and saved.created_at < since):
                continue
            if not self.client.sees(saved.visibility):
                hidden += 1
                continue
            self._count("post_calls")
            try:
                current = self.client.fetch_post(saved.ref)
            except RateLimitedError:
                raise
            except PlatformError as error:
                self.progress.note(f"could not check whether {post_id} still exists: {error}")
                continue
            if current is None:
                self.backup.save_post(saved.with_changes(deleted=True))
                self.counts["deleted"] += 1
            else:
                self._save(saved, self._download(with_saved_media(current, saved)))
            self.journal.append([post_id])
            self.listed_this_run.add(post_id)
        if hidden:
            self.counts["not_checked"] += hidden
            self.progress.note(
                f"{hidden} saved {'post is' if hidden == 1 else 'posts are'} private to the "
                "account (drafts, queued, followers-only) and this run reads as the public: "
                "not checked for deletion. Log in (`crosspost login`) to check them too"
            )

    def _stop(self, error: RateLimitedError) -> None:
        self.result.stopped = str(error)  # the adapter's message already says when
        self.result.retry_after = error.retry_after
        self.manifest.last_run = {
            "mode": self.options.mode,
            "stopped_at": self.now().isoformat(),
            "stopped": self.result.stopped,
        }
        save_manifest(self.backup, self.manifest)
        self.progress.note(
            "stopped by a rate limit; everything read so far is saved. Run the same command "
            "again to resume"
            + (f" in about {error.retry_after:.0f} s" if error.retry_after else "")
        )

    def _finish(self) -> None:
        if self.rate_limit is not None:
            return
        if self.options.wants(POSTS_PART):  # else an interrupted listing stays to resume
            self._posts_done()
        self.manifest.posts = self.backup.count_posts()
        if self.options.full or self.counts["deleted"]:
            self.manifest.deleted = sum(1 for p in self.backup.iter_posts() if p.deleted)
        self.manifest.last_run = {
            "mode": self.options.mode,
            "finished_at": self.now().isoformat(),
            **{k: v for k, v in self.counts.items() if v},
        }
        recorded = [m for v in self.manifest.missing_media.values() for m in v]
        self.counts["media_skipped"] = sum(1 for m in recorded if m.get("skipped"))
        self.counts["media_missing"] = len(recorded) - self.counts["media_skipped"]
        save_manifest(self.backup, self.manifest)
        self.result.complete = True


_VISIBILITY_NAMES = {
    Visibility.FOLLOWERS: "followers-only",
    Visibility.DIRECT: "direct",
    Visibility.PRIVATE: "private (drafts, queued)",
}


def commit_pages(committed: int) -> int:
    """How many waiting pages the next commit may take, after `committed` pages (this listing's,
    a resumed one's included): half as many as are committed already, from one up to
    COMMIT_PAGES. An interruption then loses at most a third of what a listing has read (those
    pages are read again on resume), and a long listing commits eight pages at a time."""
    return max(1, min(COMMIT_PAGES, committed // 2))


def _top_up(options: BackupOptions) -> BackupOptions:
    """The pass after a resumed run: posts only, incremental, from the newest."""
    return replace(options, full=False, parts=frozenset({POSTS_PART}))


def _skipped(media: Media) -> Missing:
    return Missing(media.url or "", "not downloaded (--no-media)", False, skipped=True)


def _new_folders(root: Path, folder: Path) -> list[Path]:
    """The folders from `root` down to `folder` that do not exist yet, deepest first."""
    missing = []
    for path in (folder, *folder.parents):
        if path.exists():
            break
        missing.append(path)
        if path == root:
            break
    return missing


def _remove_if_empty(backup: AccountBackup, created: list[Path]) -> None:
    """Remove an account folder this run made and saved nothing into (only its manifest and
    run state), with the parents it made; anything else in it is kept."""
    folder = backup.folder
    if folder not in created or not folder.is_dir():
        return
    state = folder / ".state"
    if any(p.name not in (".state", "manifest.json") for p in folder.iterdir()):
        return
    if state.is_dir() and any(p.is_dir() for p in state.iterdir()):
        return
    try:
        if state.is_dir():
            for path in state.iterdir():
                path.unlink()
            state.rmdir()
        (folder / "manifest.json").unlink(missing_ok=True)
        for path in created:  # deepest first; stop at one that holds something
            path.rmdir()
    except OSError:
        return
