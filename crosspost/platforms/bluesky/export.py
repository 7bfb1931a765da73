"""Posts, profile and collections from a Bluesky repository export (`repo.car`, from Settings
or com.atproto.sync.getRepo).

https://atproto.com/specs/repository and https://ipld.io/specs/transport/car/carv1/ (a
varint-prefixed DAG-CBOR header with `roots` and `version`). The export holds records, not
blobs: images stay as references, to be fetched by `crosspost backup` of the same account. It
holds the profile record, likes, reposts, follows, blocks and lists, but neither the handle (a
repo names its DID only) nor followers, mutes or bookmarks (the App View keeps those), nor the
content of other people's posts that were liked or reposted (their repos hold it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from crosspost.account_data import Collection, Entry, Profile
from crosspost.model import Platform, Post
from crosspost.platforms.export import Export, Skipped
from crosspost.platforms.spec import ExportFormat

if TYPE_CHECKING:
    from crosspost.platforms.bluesky.snapshot import RepoSnapshot

NOT_IN_EXPORT = "another account's post: the export holds only this account's records"


def read_export(path: Path) -> Export:
    from crosspost.platforms.bluesky.car import load_car, read_car
    from crosspost.platforms.bluesky.snapshot import RepoSnapshot

    @cache
    def snapshot() -> RepoSnapshot:  # read when the posts are done, once
        return RepoSnapshot(load_car(path))

    did = snapshot().did
    skipped = Skipped()
    lines: list[str] = []  # the Export's own, filled once its posts have been read
    counts: dict[str, int] = {}

    def posts() -> Iterator[Post]:
        yield from read_car(path, account=did, skipped=skipped)
        lines[:] = skipped.lines()
        counts.update(skipped.counts)

    return Export(
        platform=Platform.BLUESKY,
        account=did,
        stable_id=did,
        posts=posts(),
        skipped=lines,
        media_bytes=lambda media: None,
        profile=lambda: export_profile(snapshot()),
        collections=lambda: export_collections(snapshot()),
        skipped_counts=counts,
    )


def export_profile(snapshot: RepoSnapshot) -> Profile | None:
    """The profile record (None when the repo has none); the handle is left empty."""
    from crosspost.platforms.bluesky.account_read import PROFILE_COLLECTION, to_profile

    item = snapshot.get(f"at://{snapshot.did}/{PROFILE_COLLECTION}/self")
    if item is None:
        return None
    return to_profile(item.get("value"), did=snapshot.did, handle="", service=None)


def export_collections(snapshot: RepoSnapshot) -> Mapping[Collection, Sequence[Entry]]:
    """Every collection the repo holds records of, newest first; liked and reposted posts of
    the account itself carry their content."""
    from crosspost.platforms.bluesky.account_read import (
        LISTITEM_COLLECTION,
        RECORD_COLLECTIONS,
        members_by_list,
        post_entry,
        record_entries,
        subject_of,
    )
    from crosspost.platforms.bluesky.read import to_post

    def everything(collection: str) -> list[Mapping[str, object]]:
        return snapshot.page(collection, None, max(snapshot.count(collection), 1))[0]

    found: dict[Collection, Sequence[Entry]] = {}
    members = members_by_list(everything(LISTITEM_COLLECTION))
    for kind, collection in RECORD_COLLECTIONS.items():
        items = everything(collection)
        if not items:
            continue
        if not kind.of_posts:
            found[kind] = record_entries(kind, items, account=snapshot.did, members=members)
            continue
        entries = []
        for item in items:
            subject = subject_of(item)
            record = snapshot.get(subject[0]) if subject else None
            if record is None:
                own = subject is not None and subject[0].startswith(f"at://{snapshot.did}/")
                why = "the post is gone (deleted)" if own else NOT_IN_EXPORT
                entries.append(post_entry(item, account=snapshot.did, unreadable=why))
            else:
                post = to_post(record, account=snapshot.did)
                entries.append(post_entry(item, account=snapshot.did, post=post))
        found[kind] = entries
    return found


def is_car_head(head: bytes) -> bool:
    """A varint header length, then a CBOR map (major type 5) naming "roots" and "version"."""
    length, offset = _varint(head)
    return (
        length is not None
        and 0 < length < 1024
        and offset < len(head)
        and head[offset] >> 5 == 5
        and b"roots" in head
        and b"version" in head
    )


def _varint(data: bytes) -> tuple[int | None, int]:
    value = shift = 0
    for index, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, index + 1
        shift += 7
    return None, 0


CAR_EXPORT = ExportFormat(
    kind="bluesky-car", label="a Bluesky repo.car", read=read_export, matches_head=is_car_head
)
