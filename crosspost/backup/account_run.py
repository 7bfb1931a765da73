"""The rest of an account, after its posts: its profile and its collections.

A profile is read each run and kept when it changed (the one it replaces goes to
profile.versions/). A collection of posts (likes, bookmarks, reposts) is read newest first and,
in an incremental run, only until a page holds an entry already saved; the others (follows,
lists, blocks, mutes) are read whole each run, which is how an unfollow is seen. Comments on
the account's posts are read whole every run too, the reader given the saved ones so that it
fetches in full only the new ones (UsesSavedEntries). Media of a profile (avatar, banner) and
of the posts in a collection are stored like a post's own.
A rate limit stops the step after writing what it read: the next run continues.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from crosspost.account_data import Collection, Entry, Profile
from crosspost.backup.account_files import (
    load_profile,
    merge_newest_first,
    read_collection,
    save_collection,
    save_profile,
)
from crosspost.backup.media import MediaStore, PendingMedia, all_media, with_saved_media
from crosspost.backup.store import AccountBackup
from crosspost.errors import CrosspostError, DataError, RateLimitedError
from crosspost.model import Media
from crosspost.platforms.base import (
    HasCollections,
    HasProfile,
    PlatformClient,
    UsesSavedEntries,
)
from crosspost.progress import Progress

PROFILE = "profile"
POSTS = "posts"
PARTS = (POSTS, PROFILE, *(kind.value for kind in Collection))
MAX_PAGES = 100_000  # a guard against a server that pages forever
# Follows, followers, lists, blocks and mutes are read whole: on a large account that is many
# calls (Tumblr gives 20 followers a call, out of 5,000 calls a day), so an incremental run reads
# them again only when the saved copy is this old; --full always does.
REFRESH_WHOLE = timedelta(hours=20)


@dataclass
class AccountDataResult:
    """What the step did: the profile ("new", "updated", "unchanged", or why not read), each
    collection's counts, and the kinds the platform has but this reader could not read."""

    profile: str | None = None
    collections: dict[str, Counter[str]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    profile_media_missing: list[str] = field(default_factory=list)  # "avatar: why"

    def to_json(self) -> dict[str, object]:
        return {
            "profile": self.profile,
            "collections": {k: dict(v) for k, v in self.collections.items()},
            "unavailable": self.unavailable,
            "failed": self.failed,
            "profile_media_missing": self.profile_media_missing,
        }


def parse_parts(text: str) -> frozenset[str]:
    """`--only posts,likes`: the parts named, checked (ValueError naming the allowed ones)."""
    names = {name.strip().lower() for name in text.split(",") if name.strip()}
    unknown = sorted(names - set(PARTS))
    if unknown or not names:
        raise ValueError(
            f"unknown part{'s' if len(unknown) > 1 else ''} {', '.join(unknown) or '(none)'}: "
            f"choose from {', '.join(PARTS)}"
        )
    return frozenset(names)


class AccountDataStep:
    def __init__(
        self,
        client: PlatformClient,
        backup: AccountBackup,
        media: MediaStore | None,
        progress: Progress,
        now: Callable[[], datetime],
        *,
        full: bool,
        parts: frozenset[str] | None,
        count: Callable[[str, int], None],
    ) -> None:
        self.client, self.backup, self.media = client, backup, media
        self.progress, self.now, self.full = progress, now, full
        self.parts = parts
        self.count = count
        self.result = AccountDataResult()
        self.profile: Profile | None = None  # as read this run

    def wanted(self, part: str) -> bool:
        return self.parts is None or part in self.parts

    def run(self) -> AccountDataResult:
        """Profile, then each collection; RateLimitedError after saving what was read."""
        if self.wanted(PROFILE) and isinstance(self.client, HasProfile):
            self._profile(self.client)
        if isinstance(self.client, HasCollections) and any(
            self.wanted(kind.value) for kind in Collection
        ):  # asking what is available may cost a call
            for kind, reason in self.client.collections_unavailable().items():
                if self.wanted(kind.value):
                    self.result.unavailable[kind.value] = reason
            for kind in self.client.collections():
                if self.wanted(kind.value):
                    self._collection(self.client, kind)
        return self.result

    # --- the profile -----------------------------------------------------------------------------

    def _profile(self, client: HasProfile) -> None:
        self.count("profile_calls", 1)
        try:
            profile = client.fetch_profile()
        except RateLimitedError:
            raise
        except CrosspostError as error:
            self.result.failed[PROFILE] = str(error)
            self.progress.note(f"could not read the profile: {error}")
            return
        profile = self._with_profile_media(profile)
        self.profile = profile
        self.result.profile = save_profile(self.backup, profile, self.now())

    def _with_profile_media(self, profile: Profile) -> Profile:
        """The profile with its avatar and banner stored (or left remote when they cannot be)."""
        try:
            saved = load_profile(self.backup)
        except DataError:
            saved = None
        stored = {m.url: m for m in (saved.media() if saved else ()) if m.url and m.local_path}

        def keep(media: Media | None, name: str) -> Media | None:
            if media is None or media.url is None:
                return media
            known = stored.get(media.url)
            if known is not None and self.media is not None and self.media.has(known):
                return known
            if self.media is None:
                return media
            kept = self.media.store_one(media)
            if isinstance(kept, Media):
                self.count("media_downloaded", 1)
                self.count("media_bytes", kept.size or 0)
                return kept
            self.result.profile_media_missing.append(f"{name}: {kept.reason}")
            return media

        avatar, banner = keep(profile.avatar, "avatar"), keep(profile.banner, "banner")
        pictures = tuple(
            kept
            for picture in profile.pictures
            if (kept := keep(picture, f"picture {picture.alt or picture.url}")) is not None
        )
        return replace(profile, avatar=avatar, banner=banner, pictures=pictures)

    # --- a collection ----------------------------------------------------------------------------

    def _collection(self, client: HasCollections, kind: Collection) -> None:
        counts = self.result.collections.setdefault(kind.value, Counter())
        try:
            header, saved = read_collection(self.backup, kind)
        except DataError as error:
            self.progress.note(f"{error}: read again from the platform")
            header, saved = {}, []
        # Stopping at a saved entry is right only when the saved list reached the end.
        whole = bool(header.get("complete"))
        known = {entry.id for entry in saved} if whole else set()
        fresh = not kind.answers_posts and whole and not self.full and self._fresh(header)
        if not kind.of_posts and fresh:
            counts["entries"] = len(saved)
            counts["not_reread"] = 1
            return
        if kind.answers_posts and isinstance(client, UsesSavedEntries):
            client.use_saved_entries(kind, saved, full=self.full)
        read: list[Entry] = []
        cursor: str | None = None
        complete = False
        self.progress.start(kind.value)
        try:
            for _ in range(MAX_PAGES):
                self.count("collection_calls", 1)
                page = client.fetch_collection(kind, cursor)
                entries = self._with_entry_media(list(page.entries), saved)
                read += entries
                self.progress.advance(kind.value, len(entries))
                cursor = page.cursor
                caught_up = kind.of_posts and not self.full and any(e.id in known for e in entries)
                if cursor is None or caught_up:  # a page may be empty and yet not the last
                    complete = True
                    break
        except RateLimitedError:
            self._save(kind, read, saved, complete=False, counts=counts)
            raise
        except CrosspostError as error:
            self.result.failed[kind.value] = str(error)
            self.progress.note(f"could not read {kind.label}: {error}; what was saved is kept")
            return
        finally:
            self.progress.finish(kind.value)
        self._save(kind, read, saved, complete=complete, counts=counts)

    def _fresh(self, header: Mapping[str, Any]) -> bool:
        saved_at = header.get("saved_at")
        try:
            when = datetime.fromisoformat(str(saved_at))
        except ValueError:
            return False
        return timedelta(0) <= self.now() - when < REFRESH_WHOLE

    def _save(
        self,
        kind: Collection,
        read: list[Entry],
        saved: list[Entry],
        *,
        complete: bool,
        counts: Counter[str],
    ) -> None:
        known = {entry.id for entry in saved}
        read = merge_newest_first(read, [])  # a list that moved between pages repeats people
        counts["new"] += sum(1 for e in read if e.id not in known)
        if kind.answers_posts:  # a comment screened, unscreened, deleted or edited since
            before = {entry.id: entry for entry in saved}
            counts["changed"] += sum(1 for e in read if e.id in before and e != before[e.id])
        if kind.of_posts and not (self.full and complete):
            entries = merge_newest_first(read, saved)  # older entries were not read again
        elif complete:
            entries = read  # read whole: what is not in it was removed on the platform
            listed = {e.id for e in read}
            counts["removed"] += sum(1 for e in saved if e.id not in listed)
        else:
            entries = merge_newest_first(read, saved)
        counts["entries"] = len(entries)
        if not read and not saved and not complete:
            return
        save_collection(self.backup, kind, entries, self.now(), complete=complete)

    def _with_entry_media(self, entries: list[Entry], saved: list[Entry]) -> list[Entry]:
        """Entries whose posts have their media stored (downloaded on the media pool; what a
        saved copy of the entry already stored is not asked for again)."""
        if self.media is None:
            return entries
        stored = {e.id: e.post for e in saved if e.post is not None}
        entries = [
            replace(e, post=with_saved_media(e.post, stored.get(e.id))) if e.post is not None else e
            for e in entries
        ]
        pending: list[PendingMedia | None] = [
            self.media.submit(e.post) if e.post is not None and all_media(e.post) else None
            for e in entries
        ]
        done = []
        for entry, waiting in zip(entries, pending, strict=True):
            if waiting is None:
                done.append(entry)
                continue
            result = waiting.result()
            self.count("media_downloaded", result.downloaded)
            self.count("media_bytes", result.bytes)
            if result.rate_limited is not None:
                raise result.rate_limited
            done.append(replace(entry, post=result.post))
        return done
