"""Media of backed-up posts: downloaded concurrently, verified, stored by content hash.

A file's name is its SHA-256 and an extension chosen from a fixed table of MIME types (sniffed
from the bytes when the server says nothing useful), so nothing a server sends (a URL, a file
name, a MIME type) ever becomes part of a path. A download that fails is recorded with its
reason; only a rate limit stops the run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from crosspost.backup.store import AccountBackup, atomic_write_bytes
from crosspost.errors import CrosspostError, RateLimitedError
from crosspost.model import Media, MediaKind, Post

DEFAULT_WORKERS = 16  # media usually come from a CDN, not the API's rate-limited host
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
    "image/heic": "heic",
    "image/bmp": "bmp",
    # Markup is active content (an SVG or an HTML page runs script when opened): whatever its
    # name or claimed type, it is kept as text, never under a name a browser opens as a document.
    "image/svg+xml": "txt",
    "text/html": "txt",
    "application/xhtml+xml": "txt",
    "application/xml": "txt",
    "text/xml": "txt",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/ogg": "ogg",
    "audio/wav": "wav",
    "audio/flac": "flac",
}
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
    (b"\x1aE\xdf\xa3", "video/webm"),
)
MARKUP = frozenset({"image/svg+xml", "text/html", "application/xhtml+xml", "application/xml",
                    "text/xml"})  # fmt: skip
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# A Bluesky blob CID (CIDv1, raw codec, sha2-256) names the SHA-256 of the bytes: check it.
_BLOB_CID = re.compile(r"\bbafkrei[a-z2-7]{52}\b")
_GONE = re.compile(r"\b(404|410)\b|\bgone\b|not ?found", re.IGNORECASE)

Fetch = Callable[[Media], bytes]


class MediaCheckError(CrosspostError):
    """Downloaded bytes are not what the post says (truncated, or another file)."""


@dataclass(frozen=True, slots=True)
class Missing:
    """A media item that is not stored, and why. `gone`: the server says it no longer exists,
    so later runs do not ask again (only --full does); `skipped`: left out on purpose."""

    url: str
    reason: str
    gone: bool
    skipped: bool = False  # not asked for on purpose (--no-media): the next run fetches it

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"url": self.url, "reason": self.reason, "gone": self.gone}
        if self.skipped:
            data["skipped"] = True
        return data


@dataclass(frozen=True, slots=True)
class MediaResult:
    post: Post  # the post with local_path, sha256, size and mime filled in where stored
    missing: tuple[Missing, ...]
    downloaded: int
    bytes: int
    rate_limited: RateLimitedError | None = None  # the run must stop; the rest is retried later


def sniff_mime(data: bytes) -> str | None:
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "image/avif"
        if brand in (b"heic", b"heix", b"mif1"):
            return "image/heic"
        if brand == b"qt  ":
            return "video/quicktime"
        return "audio/mp4" if brand == b"M4A " else "video/mp4"
    return _markup(data)


def _markup(data: bytes) -> str | None:
    """SVG, HTML or XML: text whose first sign (after a byte-order mark and white space, in
    UTF-8 or UTF-16) is "<". No image, video or audio format starts so; sixteen bytes are
    enough to tell markup, if not always which (an XML prolog hides the root element)."""
    head = data[:1024]
    for bom in _BOMS:
        head = head.removeprefix(bom)
    head = head.replace(b"\x00", b"").lstrip().lower()
    if not head.startswith(b"<"):
        return None
    if b"<svg" in head:
        return "image/svg+xml"
    if head.startswith(b"<?xml") and b"<html" not in head:
        return "application/xml"
    return "text/html"


def extension_for(mime: str | None, data: bytes) -> tuple[str, str | None]:
    """(extension, MIME type): the bytes win over what the server claimed; "bin" if unknown."""
    sniffed = sniff_mime(data)
    claimed = (mime or "").split(";")[0].strip().lower()
    if sniffed == "application/xml" and claimed == "image/svg+xml":
        sniffed = claimed  # the prolog hid the root element; the claim names it
    chosen = sniffed or (claimed if claimed in EXTENSIONS else None)
    return (EXTENSIONS[chosen], chosen) if chosen else ("bin", claimed or None)


def expected_sha256(media: Media) -> str | None:
    """The hash the bytes must have, when the post says (a saved hash, a Bluesky blob CID)."""
    if media.sha256:
        return media.sha256
    match = _BLOB_CID.search(media.url or "")
    if match is None:
        return None
    encoded = match.group(0)[1:].upper()  # multibase "b": base32, lower case, no padding
    raw = base64.b32decode(encoded + "=" * (-len(encoded) % 8))
    # CIDv1 (0x01), raw (0x55), sha2-256 (0x12), 32 bytes (0x20)
    return raw[4:].hex() if raw[:4] == b"\x01\x55\x12\x20" else None


def store_bytes(backup: AccountBackup, media: Media, data: bytes) -> Media:
    """Check and store one file; the media item pointing at it."""
    if media.size is not None and media.size != len(data):
        raise MediaCheckError(f"expected {media.size} bytes, got {len(data)} (truncated?)")
    digest = hashlib.sha256(data).hexdigest()
    expected = expected_sha256(media)
    if expected is not None and expected != digest:
        raise MediaCheckError(f"the bytes do not match the expected SHA-256 {expected[:12]}...")
    extension, mime = extension_for(media.mime, data)
    path = backup.media_path(digest, extension)
    if not (path.exists() and path.stat().st_size == len(data)):
        atomic_write_bytes(path, data)
    return replace(
        media,
        sha256=digest,
        size=len(data),
        mime=mime or media.mime,
        local_path=backup.media_relative(digest, extension),
    )


def is_stored(backup: AccountBackup, media: Media) -> bool:
    if not media.local_path or not media.sha256:
        return False
    return (backup.folder.parent.parent / media.local_path).is_file()


class MediaStore:
    """Downloads the media of posts on a bounded pool of threads."""

    def __init__(self, backup: AccountBackup, fetch: Fetch, workers: int = DEFAULT_WORKERS):
        self.backup = backup
        self.fetch = fetch
        self.pool = ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="media")

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, post: Post, skip_gone: Iterable[str] = ()) -> PendingMedia:
        """Start downloading a post's media (with those of its reblog trail or quoted posts,
        and its link card's thumbnail); `result()` waits and gives the post to save."""
        gone = set(skip_gone)
        jobs = [
            None if is_stored(self.backup, m) or not m.url or m.url in gone else m
            for m in all_media(post)
        ]
        futures = [None if m is None else self.pool.submit(self._one, m) for m in jobs]
        return PendingMedia(post, futures, gone)

    def has(self, media: Media) -> bool:
        return is_stored(self.backup, media)

    def store_one(self, media: Media) -> Media | Missing:
        """One file downloaded and stored now (on the caller's thread), or why it could not be
        (a profile's picture: asked for again next run). A rate limit is raised."""
        try:
            return self._one(media)
        except RateLimitedError:
            raise
        except Exception as error:  # one bad picture must not stop the backup
            return _missing(media, error)

    def _one(self, media: Media) -> Media:
        return store_bytes(self.backup, media, self.fetch(media))


@dataclass
class PendingMedia:
    """A post whose media are downloading. Gathered in the caller's thread, never in the pool,
    so a full pool cannot wait on itself."""

    post: Post
    futures: list[Future[Media] | None]
    gone: set[str]

    def result(self) -> MediaResult:
        post, futures, gone = self.post, self.futures, self.gone
        media: list[Media] = []
        missing: list[Missing] = []
        downloaded = size = 0
        limited: RateLimitedError | None = None
        for item, future in zip(all_media(post), futures, strict=True):
            if future is None:
                media.append(item)
                if item.url in gone:
                    missing.append(Missing(item.url or "", "gone (recorded earlier)", True))
                continue
            try:
                stored = future.result()
            except RateLimitedError as error:
                limited = limited or error
                missing.append(Missing(item.url or "", f"rate limited: {error}"[:300], False))
                media.append(item)
                continue
            except Exception as error:  # one bad file must not stop the backup
                missing.append(_missing(item, error))
                media.append(item)
                continue
            media.append(stored)
            downloaded += 1
            size += stored.size or 0
        return MediaResult(with_media(post, media), tuple(missing), downloaded, size, limited)


def all_media(post: Post) -> list[Media]:
    """Every file a post shows, in a fixed order: its own media, those of each trail or quoted
    post, then its link card's thumbnail (as an image item)."""
    media = list(post.media)
    for quoted in post.trail:
        media += quoted.media
    card = post.link_card
    if card is not None and card.thumb_url:
        media.append(
            Media(
                MediaKind.IMAGE,
                card.thumb_url,
                local_path=card.thumb_local_path,
                sha256=card.thumb_sha256,
            )
        )
    return media


def with_media(post: Post, media: Sequence[Media]) -> Post:
    """`post` with the items of `all_media(post)` replaced by `media`, in the same order."""
    own = len(post.media)
    changes: dict[str, object] = {"media": tuple(media[:own])}
    at = own
    trail = []
    for quoted in post.trail:
        count = len(quoted.media)
        trail.append(quoted.with_changes(media=tuple(media[at : at + count])))
        at += count
    if post.trail:
        changes["trail"] = tuple(trail)
    card = post.link_card
    if card is not None and card.thumb_url:
        thumb = media[at]
        changes["link_card"] = replace(
            card, thumb_local_path=thumb.local_path, thumb_sha256=thumb.sha256
        )
    return post.with_changes(**changes)


def with_saved_media(post: Post, saved: Post | None) -> Post:
    """The listed post, keeping what the saved copy knows of media it already stored."""
    if saved is None:
        return post
    stored = {m.url: m for m in all_media(saved) if m.url and m.local_path}
    if not stored:
        return post
    media = [
        replace(m, sha256=s.sha256, size=s.size or m.size, mime=s.mime or m.mime,
                local_path=s.local_path)
        if m.url is not None and (s := stored.get(m.url)) is not None
        else m
        for m in all_media(post)
    ]  # fmt: skip
    return with_media(post, media)


def _missing(item: Media, error: Exception) -> Missing:
    reason = str(error) or type(error).__name__
    gone = isinstance(error, CrosspostError) and bool(_GONE.search(reason))
    if getattr(error, "status", None) in (404, 410):
        gone = True
    return Missing(item.url or "", f"{type(error).__name__}: {reason}"[:300], gone)
