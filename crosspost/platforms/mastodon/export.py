"""Posts, profile, collections and media from a Mastodon account archive (a tar.gz as the
server gives it, a zip, or an unpacked folder).

https://docs.joinmastodon.org/user/moving/#export . The archive is read once, front to back
(`Export.read_files`): each media file goes to the importer's sink as it is met, so a
gigabytes-large tar.gz is never held in memory nor rescanned. Posts and the profile name those
files by their member names (`Media.local_path`), which never become paths on disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from crosspost.model import Media, Platform, Post
from crosspost.platforms.export import Export, FileSink
from crosspost.platforms.spec import ExportFormat


def read_export(path: Path) -> Export:
    """The archive, to be read by `read_files(sink)`; its `posts` alone read it without media."""

    def read_files(sink: FileSink) -> Export:
        from crosspost.platforms.mastodon.archive import open_archive

        reading = open_archive(path, sink)
        lines = reading.skipped.lines()  # the Export's own, completed once its posts are read
        counts = dict(reading.skipped.counts)

        def posts() -> Iterator[Post]:  # one at a time from the spooled outbox
            yield from reading.posts()
            lines[:] = reading.skipped.lines()
            counts.update(reading.skipped.counts)

        return Export(
            Platform.MASTODON,
            reading.account,
            posts(),
            lines,
            _no_bytes,
            profile=lambda: reading.profile,
            collections=reading.collections,
            handle=reading.account,
            skipped_counts=counts,
            total_posts=reading.item_count,
        )

    return Export(Platform.MASTODON, "", _posts(path), [], _no_bytes, read_files=read_files)


def _posts(path: Path) -> Iterator[Post]:
    from crosspost.platforms.mastodon.archive import open_archive

    yield from open_archive(path).posts()


def _no_bytes(media: Media) -> bytes | None:
    return None  # every file came through the sink


def _is_archive(names: list[str]) -> bool:
    """outbox.json, or a media file under its storage path: the first member of the tar.gz
    Mastodon writes, so that telling the kind of archive needs no pass over it."""
    return any(
        name.rstrip("/").rpartition("/")[2] == "outbox.json" or "media_attachments/files/" in name
        for name in names
    )


ARCHIVE_EXPORT = ExportFormat(
    kind="mastodon-archive",
    label="a Mastodon archive zip or tar.gz",
    read=read_export,
    matches_names=_is_archive,
    names_hint="outbox.json (Mastodon)",
)
