"""`crosspost site`: a backup's public posts as a site to upload: nothing else reaches it,
every link is relative, its feeds and microformats parse as readers parse them."""

from __future__ import annotations

import os
import re
import stat
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import mf2py
import pytest

from crosspost.backup.store import BackupStore
from crosspost.errors import DataError
from crosspost.model import Platform, Post, PostRef, RichText, Visibility
from crosspost.view import render_site
from crosspost.view.public import MARKER, PublicOptions, Robots, render_public_site
from tests.cli_helpers import run_cli
from tests.site_world import MASTO_PROFILE, URL, Secret, build_world
from tests.test_view_sample import MASTO, T0, TUMBLR


class Links(HTMLParser):
    """Every URL a page names (href, src, action), and its meta robots."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.robots: list[str] = []
        self.canonical: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("href", "src", "action"):
            value = found.get(name)
            if value is not None:
                self.urls.append((tag, name, value))
        if tag == "meta" and found.get("name") == "robots":
            self.robots.append(found.get("content") or "")
        if tag == "link" and found.get("rel") == "canonical":
            self.canonical.append(found.get("href") or "")


def links(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Secret]]:
    root = tmp_path_factory.mktemp("world")
    secrets = build_world(root / "backup")
    options = PublicOptions(URL, Robots.INDEX, old_addresses=True)
    render_public_site(root / "backup", root / "site", options)
    return root / "backup", root / "site", secrets


def test_no_file_of_the_site_holds_a_post_that_is_not_public(
    world: tuple[Path, Path, list[Secret]],
) -> None:
    backup, site, secrets = world
    files = [path for path in site.rglob("*") if path.is_file()]
    assert len(files) > 40
    for secret in secrets:
        needles = [secret.text, secret.post_id]
        if secret.media_name:
            needles.append(secret.media_name)
        # The needles are in the backup (so the scan would find them), and nowhere in the site.
        assert any(needles[0] in p.read_text("utf-8") for p in backup.rglob("*.json"))
        for path in files:
            data = path.read_bytes()
            names = os.fspath(path.relative_to(site))
            for needle in needles:
                assert needle.encode() not in data, (needle, path)
                assert needle not in names, (needle, path)
    assert not list(site.rglob("*secrettag*"))  # the tag only a hidden post used
    assert not (site / "accounts" / "mastodon-alice-mastodon.social-88ee50e2").exists()


def test_public_and_unlisted_posts_are_shown_and_a_hidden_parent_is_named_not_linked(
    world: tuple[Path, Path, list[Secret]],
) -> None:
    _, site, _ = world
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "an unlisted post, public by its link" in index
    assert "Painted this today" in index
    assert "↩ in reply to a post not on this site</p>" in index
    assert index.count('<article class="post h-entry') == 11


def test_every_link_is_relative_and_leads_to_a_file_of_the_site(
    world: tuple[Path, Path, list[Secret]],
) -> None:
    _, site, _ = world
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 28
    for page in pages:
        for tag, name, value in links(page).urls:
            assert not value.lower().startswith(("file:", "/", "javascript:")), (page, value)
            parts = urlsplit(value)
            if parts.scheme:
                assert parts.scheme in ("http", "https", "mailto"), (page, value)
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), (page, tag, name, value)
            assert target.is_relative_to(site.resolve()), (page, value)


def test_the_site_and_its_media_are_readable_by_all(tmp_path: Path) -> None:
    build_world(tmp_path / "backup")
    for media in (tmp_path / "backup").rglob("media/*/*"):
        media.chmod(0o600)  # a backup's media is often its owner's alone
    old = os.umask(0o077)
    try:
        render_public_site(tmp_path / "backup", tmp_path / "site")
    finally:
        os.umask(old)
    found = list((tmp_path / "site").rglob("*"))
    assert [p for p in found if p.match("media/*/*.png")]
    for path in [tmp_path / "site", *found]:
        mode = path.stat().st_mode
        assert mode & stat.S_IROTH, path
        assert not path.is_dir() or mode & stat.S_IXOTH, path
    for media in (tmp_path / "backup").rglob("media/*/*"):
        assert stat.S_IMODE(media.stat().st_mode) == 0o600  # the backup's own are untouched


def test_every_feed_parses_as_atom_with_every_entry(world: tuple[Path, Path, list[Secret]]) -> None:
    _, site, _ = world
    feeds = sorted((site / "feeds").rglob("*.xml"))
    assert {p.relative_to(site).as_posix() for p in feeds} >= {
        "feeds/mastodon-alice-mastodon.social-88ee50e2.xml",
        "feeds/tumblr-alice.xml",
        "feeds/bluesky-alice.bsky.social.xml",
        "feeds/tags/art.xml",
    }
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version == "atom10"
        assert parsed.feed.id == URL + path.relative_to(site).as_posix()
        assert parsed.feed.updated
        assert parsed.entries, path
        xml = path.read_text(encoding="utf-8")
        assert xml.count("<entry>") == len(parsed.entries)
        for entry in parsed.entries:
            assert entry.id.startswith(URL + "posts/")
            assert entry.id.endswith(".html")
            assert entry.title
            assert entry.updated
            assert entry.published
            assert [link.href for link in entry.links if link.rel == "alternate"] == [entry.id]
            assert (site / entry.id.removeprefix(URL)).is_file()
            (content,) = entry.content
            assert content.type == "text/html"
            assert entry.author
    masto = feedparser.parse(
        (site / "feeds/mastodon-alice-mastodon.social-88ee50e2.xml").read_bytes()
    )
    texts = " ".join(entry.content[0].value for entry in masto.entries)
    assert len(masto.entries) == 5  # two from the sample, two replies, the unlisted post
    assert "a public reply to a hidden post" in texts
    assert 'src="https://me.example/media/' in texts  # the avatar: absolute in a feed
    art = feedparser.parse((site / "feeds/tags/art.xml").read_bytes())
    assert [e.title for e in art.entries] == [
        "A reblog",
        "Painted this today #art, more at example.com",
    ]
    assert {t.term for t in art.entries[0].tags} == {"Art", "cats"}


def test_posts_and_accounts_parse_as_microformats(world: tuple[Path, Path, list[Secret]]) -> None:
    _, site, _ = world
    index = mf2py.parse(doc=(site / "index.html").read_text("utf-8"), url=URL)
    entries = [item for item in index["items"] if "h-entry" in item["type"]]
    assert len(entries) == 11
    for entry in entries:
        props = entry["properties"]
        assert props["url"][0].startswith(URL + "posts/"), props["url"]
        assert re.match(r"\d{4}-\d\d-\d\dT", props["published"][0])
        (author,) = props["author"]
        assert author["type"] == ["h-card"]
        assert author["properties"]["name"][0].startswith("@")
        assert props.get("name") or "content" not in props  # a boost has no words of its own
    painted = next(e for e in entries if "Painted" in str(e["properties"].get("content")))
    assert set(painted["properties"]["category"]) == {"#Painting", "#art"}
    assert painted["properties"]["photo"][0]["value"].startswith(URL + "media/")
    assert painted["properties"]["syndication"] == [
        "https://bsky.app/profile/alice.bsky.social/post/3kaaa"
    ]
    reblog = next(e for e in entries if e["properties"]["name"] == ["A reblog"])
    assert reblog["properties"]["published"] == ["2024-04-30T12:00:00+0000"]  # not dave's
    assert MASTO_PROFILE in index["rels"]["me"]
    page = site / "accounts" / "mastodon-alice-mastodon.social-88ee50e2.html"
    parsed = mf2py.parse(doc=page.read_text("utf-8"), url=URL + "accounts/x.html")
    card = next(item for item in parsed["items"] if item["type"] == ["h-card"])
    props = card["properties"]
    assert props["name"] == ["Alice Example"]
    assert MASTO_PROFILE in props["url"]
    assert props["photo"][0]["value"].startswith(URL + "media/")
    assert props["note"][0].strip() == "I paint, mostly."
    assert parsed["rels"]["me"] == [MASTO_PROFILE]
    assert f'<a class="u-url" rel="me" href="{MASTO_PROFILE}">' in page.read_text("utf-8")


def test_every_page_says_its_robots_choice_and_its_canonical_address(tmp_path: Path) -> None:
    build_world(tmp_path / "backup")
    render_public_site(tmp_path / "backup", tmp_path / "site", PublicOptions(robots=Robots.NOINDEX))
    site = tmp_path / "site"
    assert (site / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"
    for page in site.rglob("*.html"):
        found = links(page)
        assert found.robots == ["noindex"], page
        # Without --url the canonical address is the page itself, relative.
        assert found.canonical == [page.name], page
    assert not (site / "feeds").exists()  # feeds need --url
    render_public_site(tmp_path / "backup", site, PublicOptions(URL, Robots.INDEX))
    assert (site / "robots.txt").read_text() == "User-agent: *\nAllow: /\n"
    assert links(site / "index.html").canonical == [URL]
    assert links(site / "tags.html").canonical == [URL + "tags.html"]


def test_old_tumblr_addresses_lead_to_the_new_pages(world: tuple[Path, Path, list[Secret]]) -> None:
    _, site, _ = world
    redirect = (site / "post" / "555" / "index.html").read_text(encoding="utf-8")
    (target,) = re.findall(r'content="0; url=([^"]+)"', redirect)
    assert target.startswith("../../posts/tumblr-")
    assert (site / "post" / "555" / target).resolve().is_file()
    assert f'<link rel="canonical" href="{URL}{target.removeprefix("../../")}">' in redirect
    assert "Content-Security-Policy" in redirect
    assert sorted(p.relative_to(site).as_posix() for p in (site / "post").rglob("*.html")) == [
        "post/555/index.html"
    ]


def test_an_old_address_with_a_slug_gets_both_pages(tmp_path: Path) -> None:
    backup = BackupStore(tmp_path / "backup").account(Platform.TUMBLR, TUMBLR)
    url = "https://alice.tumblr.com/post/7001/caf%C3%A9-at-night"
    backup.save_post(Post(PostRef(Platform.TUMBLR, TUMBLR, "7001", url), T0, RichText("café")))
    render_public_site(tmp_path / "backup", tmp_path / "site", PublicOptions(old_addresses=True))
    found = sorted(
        p.relative_to(tmp_path / "site").as_posix()
        for p in (tmp_path / "site" / "post").rglob("*.html")
    )
    assert found == ["post/7001/café-at-night/index.html", "post/7001/index.html"]
    deep = (tmp_path / "site" / "post/7001/café-at-night/index.html").read_text("utf-8")
    assert "url=../../../posts/tumblr-" in deep


def test_a_second_render_rewrites_nothing_and_a_hidden_post_changes_no_file(tmp_path: Path) -> None:
    build_world(tmp_path / "backup")
    options = PublicOptions(URL, old_addresses=True)
    first = render_public_site(tmp_path / "backup", tmp_path / "site", options)
    assert len(first.written) == first.files
    again = render_public_site(tmp_path / "backup", tmp_path / "site", options)
    assert again.written == ()
    assert again.unchanged == first.files
    masto = BackupStore(tmp_path / "backup").account(Platform.MASTODON, MASTO)
    hidden = PostRef(Platform.MASTODON, MASTO, "3001", "https://mastodon.social/@alice/3001")
    masto.save_post(Post(hidden, T0 + timedelta(days=90), RichText("later, followers only"),
                         visibility=Visibility.FOLLOWERS))  # fmt: skip
    after = render_public_site(tmp_path / "backup", tmp_path / "site", options)
    assert after.written == ()
    assert after.left_out == first.left_out + 1
    shown = PostRef(Platform.MASTODON, MASTO, "3002", "https://mastodon.social/@alice/3002")
    masto.save_post(Post(shown, T0 + timedelta(days=91), RichText("a new public post")))
    new = render_public_site(tmp_path / "backup", tmp_path / "site", options)
    assert new.posts == first.posts + 1
    assert len(new.written) < 15, new.written  # its page, the index, its month, its feed, ...
    assert "feeds/mastodon-alice-mastodon.social-88ee50e2.xml" in new.written


def test_the_viewers_own_site_is_never_turned_into_a_public_one(tmp_path: Path) -> None:
    build_world(tmp_path / "backup")
    render_site(tmp_path / "backup", tmp_path / "viewer")
    with pytest.raises(DataError, match="offline viewer's site"):
        render_public_site(tmp_path / "backup", tmp_path / "viewer")
    assert not (tmp_path / "viewer" / MARKER).exists()


def test_the_command_prints_what_it_published_and_why_there_are_no_feeds(tmp_path: Path) -> None:
    build_world(tmp_path / "backup")
    out = tmp_path / "www"
    result = run_cli("site", str(tmp_path / "backup"), "--out", str(out), "--quiet")
    assert result.code == 0, result.err
    result = run_cli("site", str(tmp_path / "backup"), "--out", str(out))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith(
        f"published 11 public posts from 3 accounts into {out} (6 not public"
    )
    assert "0 written" in lines[0]
    assert (
        lines[1]
        == "no Atom feeds: their ids and links must be absolute; give --url https://you.example/"
    )
    result = run_cli("site", str(tmp_path / "backup"), "--out", str(out), "--url", "me.example")
    assert result.code != 0
    assert "https://host/" in result.err
    result = run_cli(
        "site", str(tmp_path / "backup"), "--out", str(out), "--url", "https://me.example"
    )
    assert result.code == 0, result.err
    assert "7 Atom feeds, under https://me.example/feeds/" in result.out


def test_only_a_plain_slug_becomes_a_folder() -> None:
    from crosspost.view.public_pages import old_addresses

    assert old_addresses("https://a.tumblr.com/post/12/hello-world") == [
        "post/12/index.html",
        "post/12/hello-world/index.html",
    ]
    for bad in ("..", "%2E%2E", "a%2Fb", "a%5Cb", "%00"):
        assert old_addresses(f"https://a.tumblr.com/post/12/{bad}") == ["post/12/index.html"], bad
    assert old_addresses("https://mastodon.social/@alice/12") == []
    assert old_addresses("https://bsky.app/profile/a/post/3k") == []


def test_the_command_reports_as_json(tmp_path: Path) -> None:
    import json

    build_world(tmp_path / "backup")
    out = tmp_path / "www"
    args = ("site", str(tmp_path / "backup"), "--out", str(out), "--url", URL, "--json")
    result = run_cli(*args, "--robots", "noindex")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["posts"] == 11
    assert report["left_out"] == 6
    assert report["feeds"] == 7
    assert report["robots"] == "noindex"
    assert report["url"] == URL
