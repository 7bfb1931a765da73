"""Images for upload: sniffed, measured and re-encoded with Pillow when over Bluesky's size limit.

https://docs.bsky.app/docs/advanced-guides/posts#images-embeds (blob maxSize in the images lexicon)
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from crosspost.errors import DataError

_QUALITIES = (90, 85, 80, 72, 65)
_SHRINK = 0.8  # each round after the qualities run out: 80% of the sides
_MIN_SIDE = 64


@dataclass(frozen=True, slots=True)
class Prepared:
    data: bytes
    mime: str
    width: int
    height: int
    reencoded: bool


def prepare_image(data: bytes, max_bytes: int) -> Prepared:
    """The image as it is when it fits, else re-encoded (JPEG, or WebP where it has
    transparency) at the highest quality, then the largest size, that fits. The aspect ratio is
    kept; EXIF orientation is applied before re-encoding."""
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as error:
        raise DataError(f"not an image Pillow can read ({error})") from None
    mime = Image.MIME.get(image.format or "", "application/octet-stream")
    if len(data) <= max_bytes:
        return Prepared(data, mime, image.width, image.height, False)
    image = ImageOps.exif_transpose(image)
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if alpha else "RGB")
    fmt, mime = ("WEBP", "image/webp") if alpha else ("JPEG", "image/jpeg")
    while True:
        for quality in _QUALITIES:
            encoded = _encode(image, fmt, quality)
            if len(encoded) <= max_bytes:
                return Prepared(encoded, mime, image.width, image.height, True)
        width, height = int(image.width * _SHRINK), int(image.height * _SHRINK)
        if min(width, height) < _MIN_SIDE:
            raise DataError(f"the image does not fit in {max_bytes} bytes even when shrunk")
        image = image.resize((width, height), Image.Resampling.LANCZOS)


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, quality=quality, optimize=fmt == "JPEG")
    return out.getvalue()


def sniff_mime(data: bytes) -> str | None:
    """The MIME type of an image or MP4 video from its first bytes (the PDS sniffs too)."""
    if data[4:8] == b"ftyp":
        return "video/mp4"
    try:
        with Image.open(io.BytesIO(data)) as image:
            return Image.MIME.get(image.format or "")
    except (UnidentifiedImageError, OSError):
        return None
