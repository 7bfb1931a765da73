"""Posts and media from the zip Tumblr's blog export gives (blog settings > Export), or the
folder it unpacks to: the layout and how it is read are in export_zip.py.

The export is read once (`Export.read_files`): each media file goes to the importer's sink as it
is met; posts name those files by their member names (`Media.local_path`), which never become
paths on disk. The export holds no profile and no collections (its messages are not posts).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from crosspost.model import Media, Platform, Post
from crosspost.platforms.export import Export, FileSink


def read_export(path: Path) -> Export:
    """The export, to be read by `read_files(sink)`; its `posts` alone read it without media."""

    def read_files(sink: FileSink) -> Export:
        from crosspost.platforms.tumblr.export_zip import open_export

        reading = open_export(path, sink)
        return Export(
            Platform.TUMBLR,
            reading.blog,
            iter(reading.posts),
            reading.skipped.lines(),
            _no_bytes,
            handle=reading.blog,
            skipped_counts=dict(reading.skipped.counts),
            total_posts=lambda: len(reading.posts),
        )

    return Export(Platform.TUMBLR, "", _posts(path), [], _no_bytes, read_files=read_files)


def _posts(path: Path) -> Iterator[Post]:
    from crosspost.platforms.tumblr.export_zip import open_export

    yield from open_export(path).posts


def _no_bytes(media: Media) -> bytes | None:
    return None  # every file came through the sink


def is_blog_export(names: list[str]) -> bool:
    """posts/html/ pages, the nested posts.zip or the posts index: Tumblr's blog export."""
    for name in names:
        clean = name.replace("\\", "/")
        base = clean.rstrip("/").rpartition("/")[2]
        if base in ("posts.zip", "posts_index.html") or "posts/html/" in clean:
            return True
        if clean.startswith("posts/") or ("/posts/" in clean and clean.endswith(".html")):
            return True
    return False
