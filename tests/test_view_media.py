"""Active content from an archive never reaches the site as a document: an SVG, or HTML or XML
under any name or claimed type, is never linked, embedded or copied; the viewer decides how to
show a file from its bytes; an image Pillow can read but a browser cannot becomes a PNG."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from crosspost.backup.media import extension_for, sniff_mime
from crosspost.backup.store import BackupStore
from crosspost.model import LinkCard, Media, MediaKind, Platform, Post, PostRef, RichText
from crosspost.view import SiteReport, render_site
from tests.test_view_sample import T0, png, store_media

ACCOUNT = "mallory@evil.example"
# Each, if it ever ran as a document, would set window.__xss or reach the network.
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" onload="window.__xss=1">'
    b"<script>window.__xss=1;fetch('https://evil.example/svg')</script>"
    b'<image href="https://evil.example/svg.png" width="40" height="40"/></svg>\n'
)
SVG_HIDDEN = b"\xef\xbb\xbf \n\t<!-- a drawing -->" + SVG.split(b"?>", 1)[1]
HTML = (
    b'<!doctype html><html><body onload="window.__xss=1"><script>window.__xss=1</script>'
    b'<img src="https://evil.example/h.png"></body></html>'
)
XHTML = (
    b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">'
    b"<script>window.__xss=1</script></html>"
)
# (text of the post, bytes, the extension the archive stored them under, kind, claimed type)
HOSTILE = (
    ("an svg stored as svg", SVG, "svg", MediaKind.IMAGE, "image/svg+xml"),
    ("html disguised as a png", HTML, "png", MediaKind.IMAGE, "image/png"),
    ("html stored as bin", HTML + b" ", "bin", MediaKind.VIDEO, "video/mp4"),
    ("an svg disguised as a gif", SVG_HIDDEN, "gif", MediaKind.GIF, "image/gif"),
    ("xhtml stored as jpg", XHTML, "jpg", MediaKind.IMAGE, "image/jpeg"),
)
SAFE_EXTENSIONS = {"jpg", "png", "gif", "webp", "avif", "bmp", "heic", "mp4", "mov", "webm"}
SAFE_EXTENSIONS |= {"mp3", "m4a", "ogg", "wav", "flac"}


def tiff(size: tuple[int, int] = (30, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buffer, format="TIFF")
    return buffer.getvalue()


def hostile_media(root: Path) -> None:
    """Posts whose media, link-card thumbnails and quoted posts carry active content."""
    backup = BackupStore(root).account(Platform.MASTODON, ACCOUNT)
    for number, (text, data, extension, kind, claimed) in enumerate(HOSTILE):
        sha, local = store_media(backup, root, data, extension)
        media = Media(kind, f"https://evil.example/{number}", text, mime=claimed, sha256=sha,
                      local_path=local)  # fmt: skip
        by_hash = replace(media, local_path=None)  # found by its hash in the store
        ref = PostRef(Platform.MASTODON, ACCOUNT, f"m{number}", f"https://evil.example/@m/{number}")
        quoted = Post(replace(ref, id=f"q{number}"), T0, RichText("quoted"), media=(by_hash,))
        card = LinkCard(
            "https://example.org/", "card", "", thumb_sha256=sha, thumb_local_path=local
        )
        post = Post(ref, T0, RichText(text), media=(media,), link_card=card, trail=(quoted,))
        backup.save_post(post)
    sha, local = store_media(backup, root, tiff(), "bin")
    image = Media(MediaKind.IMAGE, None, "a tiff", mime="image/tiff", sha256=sha, local_path=local)
    ref = PostRef(Platform.MASTODON, ACCOUNT, "tiff", None)
    backup.save_post(Post(ref, T0, RichText("a tiff image"), media=(image,)))
    sha, local = store_media(backup, root, png(), "svg")  # a real PNG under an SVG's name
    image = Media(
        MediaKind.IMAGE, None, "a png", mime="image/svg+xml", sha256=sha, local_path=local
    )
    ref = PostRef(Platform.MASTODON, ACCOUNT, "png-named-svg", None)
    backup.save_post(Post(ref, T0, RichText("a png named svg"), media=(image,)))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> SiteReport:
    root = tmp_path_factory.mktemp("hostile-media")
    hostile_media(root)
    return render_site(root, root.parent / "hostile-media-site")


def page_of(report: SiteReport, text: str) -> str:
    for path in sorted((report.out / "posts").glob("*.html")):
        html = path.read_text(encoding="utf-8")
        if f"<p>{text}</p>" in html:
            return html
    raise AssertionError(f"no page shows {text!r}")


def test_markup_is_sniffed_from_the_bytes_whatever_the_name_or_claim() -> None:
    assert sniff_mime(SVG) == "image/svg+xml"
    assert sniff_mime(SVG_HIDDEN) == "image/svg+xml"
    assert sniff_mime(HTML) == "text/html"
    assert sniff_mime(b"\n  <HTML><body>") == "text/html"
    assert sniff_mime(XHTML) in ("application/xml", "text/html")
    assert sniff_mime(SVG[:16]) == "application/xml"  # too few bytes to tell: still markup
    assert sniff_mime(png()) == "image/png"
    assert sniff_mime(b"plain words") is None
    # The archive never stores markup under an image's or an SVG's name.
    assert extension_for("image/png", HTML) == ("txt", "text/html")
    assert extension_for("image/svg+xml", SVG) == ("txt", "image/svg+xml")
    assert extension_for("image/svg+xml", SVG[:16]) == ("txt", "image/svg+xml")
    assert extension_for("image/svg+xml", b"???") == ("txt", "image/svg+xml")
    assert extension_for("image/png", png()) == ("png", "image/png")


def test_the_site_holds_no_markup_and_only_files_of_the_type_their_name_says(
    site: SiteReport,
) -> None:
    media = [p for p in (site.out / "media").rglob("*") if p.is_file()]
    assert media  # the TIFF's PNG and the real PNG
    for path in media:
        extension = path.suffix.lstrip(".")
        assert extension in SAFE_EXTENSIONS, path
        mime = sniff_mime(path.read_bytes())
        assert mime is not None, path
        assert extension_for(mime, path.read_bytes())[0] == extension, path
    for path in site.out.rglob("*"):
        if path.is_file() and path.suffix not in (".html", ".js", ".css", ".json"):
            assert b"__xss" not in path.read_bytes(), path


def test_no_page_links_or_embeds_anything_but_the_sites_own_safe_files(site: SiteReport) -> None:
    for path in site.out.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for target in re.findall(r'(?:href|src)="([^"]+)"', html):
            if target.startswith(("https://", "http://", "mailto:", "#")):
                continue
            file = (path.parent / target.split("#")[0]).resolve()
            assert file.is_file(), (path, target)
            assert file.suffix in (".html", ".css", ".js") or (
                file.suffix.lstrip(".") in SAFE_EXTENSIONS
            ), (path, target)


def test_active_media_is_named_not_shown(site: SiteReport) -> None:
    html = page_of(site, "an svg stored as svg")
    assert "not shown: a vector image (SVG), which can run script" in html
    html = page_of(site, "html disguised as a png")
    assert "not shown: an HTML or XML document, not an image" in html
    assert "<img" not in html.split("<main>")[1].split("</main>")[0]
    html = page_of(site, "html stored as bin")
    assert "<video" not in html


def test_an_image_a_browser_cannot_show_is_rasterised_and_a_misnamed_png_is_shown(
    site: SiteReport,
) -> None:
    for text, size in (("a tiff image", (30, 20)), ("a png named svg", (64, 48))):
        html = page_of(site, text)
        (src,) = re.findall(r'<img src="\.\./(media/[^"]+)"', html)
        assert src.endswith(".png")
        with Image.open(site.out / src) as image:
            assert (image.format, image.size) == ("PNG", size)
