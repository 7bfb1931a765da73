"""Media from the local store, copied (hard-linked where it can) into the site's media/ folder.

Only files found in the backup are shown inline; everything else is a plain link, so a page
never loads anything from the network.

How a file is shown is decided from its bytes, never from its name, its claimed type or the
kind of media a post says it is: a click on an image opens the file as a page of its own, where
the site's Content-Security-Policy does not apply, so a file that could run (an SVG, HTML or
XML under any name) must never be in the site. Only raster images, video and audio are copied,
each named with the extension of the type its bytes are; an image Pillow can read but a
browser cannot show (TIFF, ...) is copied as a PNG; anything else is named on the page and not
shown, with no link that opens it.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from PIL import Image

from crosspost.backup.media import EXTENSIONS, MARKUP, sniff_mime

_HEAD = 1024  # bytes read to tell a file's type
_MAX_PIXELS = 40_000_000  # an image larger than this is not rasterised (a decompression bomb)
_WEB_IMAGES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/bmp"}


class Shown(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


class Placed(NamedTuple):
    """Where a stored file is in the site and how it is shown, or why it is not (`path` None)."""

    path: str | None
    kind: Shown | None
    refused: str = ""  # "a vector image (SVG), which can run script", ...


_SVG = "a vector image (SVG), which can run script"
_DOCUMENT = "an HTML or XML document, not an image"
_UNKNOWN = "a file of a type the viewer does not show"


class SiteMedia:
    """Names media files in the site (content-addressed, like the backup) and copies them."""

    def __init__(self) -> None:
        self.files: dict[str, Path] = {}  # site path -> source file, copied as it is
        self.made: dict[str, bytes] = {}  # site path -> a PNG rasterised from a source
        self._placed: dict[Path, Placed] = {}

    @property
    def paths(self) -> list[str]:
        """Every media file of the site."""
        return [*self.files, *self.made]

    def size(self, relative: str) -> int:
        made = self.made.get(relative)
        return len(made) if made is not None else self.files[relative].stat().st_size

    def place(self, source: Path) -> Placed:
        """The file's path inside the site ("media/ab/<sha256>.ext") and how it is shown, from
        its bytes; remembered for copying. Asked for each time a page shows the file."""
        placed = self._placed.get(source)
        if placed is None:
            placed = self._place(source)
            self._placed[source] = placed
        return placed

    def image(self, source: Path) -> str | None:
        """The site path of a file shown as an <img> (an avatar, a thumbnail), if it is one."""
        placed = self.place(source)
        return placed.path if placed.kind is Shown.IMAGE else None

    def _place(self, source: Path) -> Placed:
        try:
            with source.open("rb") as file:
                head = file.read(_HEAD)
        except OSError:
            return Placed(None, None, "the file could not be read")
        mime = sniff_mime(head)
        kind = _kind(mime)
        if kind is not None and mime is not None:
            name = f"{_digest(source)}.{EXTENSIONS[mime]}"
            relative = f"media/{name[:2]}/{name}"
            self.files[relative] = source
            return Placed(relative, kind)
        if mime in MARKUP:
            return Placed(None, None, _SVG if mime == "image/svg+xml" else _DOCUMENT)
        png = _rasterised(source)
        if png is None:
            return Placed(None, None, _UNKNOWN)
        name = f"{hashlib.sha256(png).hexdigest()}.png"
        relative = f"media/{name[:2]}/{name}"
        self.made[relative] = png
        return Placed(relative, Shown.IMAGE)

    def copy_into(self, out: Path) -> list[str]:
        """Copy the files the site does not have yet; returns their paths in the site."""
        copied: list[str] = []
        for relative in self.paths:
            target = out / relative
            if target.exists():
                continue  # the name is the content's hash: an existing file is the same file
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.tmp")
            made = self.made.get(relative)
            if made is not None:
                temp.write_bytes(made)
            else:
                source = self.files[relative]
                try:
                    os.link(source, temp)
                except OSError:
                    shutil.copyfile(source, temp)
            os.replace(temp, target)
            copied.append(relative)
        return copied


def _kind(mime: str | None) -> Shown | None:
    if mime in _WEB_IMAGES:
        return Shown.IMAGE
    if mime is not None and mime in EXTENSIONS and mime not in MARKUP:
        if mime.startswith("video/"):
            return Shown.VIDEO
        if mime.startswith("audio/"):
            return Shown.AUDIO
    return None


def _digest(source: Path) -> str:
    """The SHA-256 of the file: the store names its files so; anything else is read."""
    stem = source.name.partition(".")[0]
    if len(stem) == 64 and all(c in "0123456789abcdef" for c in stem):
        return stem
    return hashlib.sha256(source.read_bytes()).hexdigest()


def _rasterised(source: Path) -> bytes | None:
    """The file as a PNG when Pillow reads it as a raster image (it reads no SVG), else None."""
    try:
        with Image.open(source) as image:
            if image.width * image.height > _MAX_PIXELS:
                return None
            image.load()
            converted = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            buffer = io.BytesIO()
            converted.save(buffer, format="PNG")
            return buffer.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
