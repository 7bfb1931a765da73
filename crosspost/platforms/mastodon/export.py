"""Posts and media from a Mastodon account archive (zip, tar.gz or unpacked folder).

https://docs.joinmastodon.org/user/moving/#export (`outbox.json` and `actor.json` in a zip or
tar.gz). Media files are read from the archive by the member name the post names; a name that
would leave an unpacked folder is refused.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from crosspost.model import Media, Platform
from crosspost.platforms.export import Export
from crosspost.platforms.spec import ExportFormat


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.is_zipfile(path) if path.is_file() else False

    def read(self, name: str) -> bytes | None:
        try:
            if self.path.is_dir():
                target = (self.path / name).resolve()
                if not target.is_relative_to(self.path.resolve()) or not target.is_file():
                    return None
                return target.read_bytes()
            if self.zip:
                with zipfile.ZipFile(self.path) as archive:
                    return archive.read(name)
            with tarfile.open(self.path) as archive:
                names = set(archive.getnames())
                found = next((n for n in (name, f"./{name}", f"/{name}") if n in names), None)
                member = archive.extractfile(found) if found else None
                return member.read() if member is not None else None
        except (KeyError, OSError, zipfile.BadZipFile, tarfile.TarError):
            return None


def read_export(path: Path) -> Export:
    from crosspost.platforms.mastodon.archive import read_archive

    posts, skipped = read_archive(path)
    reader = _Reader(path)
    account = next((p.ref.account for p in posts if p.ref.account), "unknown")

    def media_bytes(media: Media) -> bytes | None:
        return reader.read(media.local_path) if media.local_path else None

    return Export(Platform.MASTODON, account, posts, skipped, media_bytes)


def _is_archive(names: list[str]) -> bool:
    return "outbox.json" in {name.rstrip("/").rpartition("/")[2] for name in names}


ARCHIVE_EXPORT = ExportFormat(
    kind="mastodon-archive",
    label="a Mastodon archive zip or tar.gz",
    read=read_export,
    matches_names=_is_archive,
    names_hint="outbox.json (Mastodon)",
)
