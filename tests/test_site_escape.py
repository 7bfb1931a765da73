"""The viewer's XSS corpus on the public site: every page, the h-cards, the redirects at old
addresses and the Atom feeds escape what a post or a profile brings."""

from __future__ import annotations

from pathlib import Path

import feedparser

from crosspost.backup.store import BackupStore
from crosspost.model import Platform, Post, PostRef, RichText
from crosspost.view.public import PublicOptions, render_public_site
from tests.site_world import URL
from tests.test_view_escape import EVIL, EVIL_URL, hostile_account, hostile_post, parsed
from tests.test_view_sample import T0


def hostile_old_address(root: Path) -> None:
    """A Tumblr post whose old address's slug is the payload, percent-encoded as a URL holds it."""
    backup = BackupStore(root).account(Platform.TUMBLR, "blog")
    url = "https://blog.tumblr.com/post/123/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E"
    backup.save_post(Post(PostRef(Platform.TUMBLR, "blog", "123", url), T0, RichText(EVIL),
                          title=EVIL))  # fmt: skip


def _check_page(path: Path, html: str) -> None:
    assert "<script>alert" not in html, path
    assert "<img src=x" not in html, path
    assert "<style>" not in html, path
    elements = parsed(html)
    for tag, attrs in elements.tags:
        assert not [name for name in attrs if name.startswith("on")], (path, tag, attrs)
        assert tag != "script" or (attrs.get("src") or "").endswith(".js"), (path, attrs)
        assert "style" not in attrs, (path, tag)
    assert all(src and "media/" in src for src in elements.attribute("img", "src")), path
    for name in ("href", "src"):
        for tag in ("a", "link", "img"):
            values = elements.attribute(tag, name)
            assert all(v and not v.lower().startswith("javascript") for v in values), path


def test_every_page_and_feed_of_the_public_site_escapes_the_corpus(tmp_path: Path) -> None:
    hostile_post(tmp_path / "backup")
    hostile_account(tmp_path / "backup")
    hostile_old_address(tmp_path / "backup")
    out = tmp_path / "site"
    render_public_site(tmp_path / "backup", out, PublicOptions(URL, old_addresses=True))
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 10
    for path in pages:
        _check_page(path, path.read_text(encoding="utf-8"))
    (redirect,) = (out / "post" / "123").glob("*/index.html")
    assert redirect.parent.name == '"><img src=x onerror=alert(1)>'  # a folder name, not markup
    assert "url=../../../posts/tumblr-" in redirect.read_text(encoding="utf-8")
    index = parsed((out / "index.html").read_text(encoding="utf-8"))
    assert f"@{EVIL}" in index.texts  # the h-card's handle, as text
    assert EVIL_URL in index.attribute("link", "href")  # rel=me to the profile, escaped
    feeds = sorted((out / "feeds").rglob("*.xml"))
    assert feeds
    for path in feeds:
        xml = path.read_text(encoding="utf-8")
        assert "<script" not in xml, path
        assert "<img" not in xml, path
        feed = feedparser.parse(xml.encode())
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        for entry in feed.entries:
            # What a reader gets once it has unescaped the content: the viewer's safe card.
            _check_page(path, entry.content[0].value)
    titles = {e.title for path in feeds for e in feedparser.parse(path.read_bytes()).entries}
    assert EVIL in titles
