"""Every string a post brings is escaped by the templates; sanitised post text is the only
Markup, and no template or module lets anything else past the escaping."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import Markup

from crosspost.account_data import Collection, Entry, Person, Profile, ProfileField
from crosspost.backup.account_files import save_collection, save_profile
from crosspost.backup.store import BackupStore
from crosspost.model import (
    LinkCard,
    Media,
    MediaKind,
    Platform,
    Post,
    PostKind,
    PostRef,
    RichText,
    Span,
    SpanKind,
    Unsupported,
)
from crosspost.view import render_site
from crosspost.view.spool import CardSpool
from tests.fixtures import PROJECT_ROOT
from tests.test_view_sample import T0, png, store_media

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
EVIL = f"{SCRIPT} {BREAKOUT}"
EVIL_URL = f"https://example.com/{BREAKOUT}{SCRIPT}"  # http(s), so it does become a link
VIEW = PROJECT_ROOT / "crosspost" / "view"


class Elements(HTMLParser):
    """Every start tag with its (decoded) attributes, and every run of (decoded) text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def attribute(self, tag: str, name: str) -> list[str | None]:
        return [attrs.get(name) for found, attrs in self.tags if found == tag and name in attrs]


def parsed(html: str) -> Elements:
    elements = Elements()
    elements.feed(html)
    elements.close()
    return elements


def hostile_post(root: Path) -> None:
    """One post with a payload in every field a page shows: title, text, tags, alt text,
    display names, content warning, link card, unsupported content and every URL."""
    backup = BackupStore(root).account(Platform.MASTODON, EVIL)
    sha, local = store_media(backup, root, png(), "png")
    stranger = PostRef(Platform.MASTODON, EVIL, "elsewhere", EVIL_URL)
    text = f"text {EVIL} end"
    spans = (Span(0, 4, SpanKind.MENTION, EVIL_URL), Span(5, 5 + len(EVIL), SpanKind.TAG, EVIL))
    post = Post(
        PostRef(Platform.MASTODON, EVIL, "1", EVIL_URL),
        T0,
        RichText(text, spans),
        kind=PostKind.QUOTE,
        title=EVIL,
        tags=(EVIL, "plain"),
        content_warning=EVIL,
        media=(
            Media(MediaKind.IMAGE, EVIL_URL, alt=EVIL, sha256=sha, local_path=local),
            Media(MediaKind.IMAGE, EVIL_URL, alt=EVIL),  # not in the backup: a link out
        ),
        link_card=LinkCard(EVIL_URL, EVIL, EVIL),
        reply_to=stranger,
        quote_of=stranger,
        trail=(Post(stranger, T0, RichText(EVIL)),),
        unsupported=(Unsupported(EVIL, EVIL, EVIL),),
    )
    backup.save_post(post)


def test_every_field_of_a_post_is_escaped(tmp_path: Path) -> None:
    hostile_post(tmp_path / "backup")
    out = tmp_path / "site"
    render_site(tmp_path / "backup", out)
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 7  # search, index, archive, a month, tags, two tag pages, the post
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
        elements = parsed(html)
        for tag, attrs in elements.tags:
            assert not [name for name in attrs if name.startswith("on")], (path, tag, attrs)
            assert tag != "script" or (attrs.get("src") or "").endswith(".js"), (path, attrs)
        assert all(src and "media/" in src for src in elements.attribute("img", "src")), path

    (post,) = (out / "posts").glob("*.html")
    elements = parsed(post.read_text(encoding="utf-8"))
    texts = elements.texts
    assert f"{EVIL} · crosspost archive" in texts  # the page's <title>
    assert texts.count(EVIL) >= 8  # title, alt texts, link card, unsupported, quoted text
    assert f"@{EVIL}" in texts  # the display name
    assert f"#{EVIL}" in texts  # the tag
    assert f"CW: {EVIL}" in texts
    assert EVIL_URL in texts  # the link card's address and the missing image's, as text
    assert elements.attribute("img", "alt") == [EVIL]
    hrefs = elements.attribute("a", "href")
    assert hrefs.count(EVIL_URL) >= 4  # the original, the reply, the link card, the missing image
    assert all(href and not href.lower().startswith("javascript") for href in hrefs)


def test_sanitised_post_text_is_the_only_markup_let_through() -> None:
    """Markup skips escaping: only cards.py may make it, once, from nh3's output; the card
    spool gives back, as it was, the markup it was handed (it takes nothing else)."""
    sources = {path: path.read_text(encoding="utf-8") for path in VIEW.rglob("*.py")}
    templates = {path: path.read_text(encoding="utf-8") for path in VIEW.rglob("*.j2")}
    assert templates
    made = {path.name: len(re.findall(r"\bMarkup\(", text)) for path, text in sources.items()}
    assert {name: count for name, count in made.items() if count} == {"cards.py": 1, "spool.py": 1}
    assert "Markup(body_html(" in sources[VIEW / "cards.py"]
    assert "return Markup(data.decode(" in sources[VIEW / "spool.py"]
    for path, text in {**sources, **templates}.items():
        for bypass in ("|safe", "| safe", "autoescape false", "autoescape=False", "mark_safe"):
            assert bypass not in text, f"{path.name}: {bypass}"


def hostile_account(root: Path) -> None:
    """An account whose profile, earlier profile and collections carry a payload in every field
    the account pages show: display name, handle, bio (as HTML and as text), fields, title,
    theme, counts, list names and descriptions, people and the posts of a collection."""
    backup = BackupStore(root).account(Platform.MASTODON, EVIL)
    sha, local = store_media(backup, root, png(), "png")
    bio_html = (
        f"<p>bio {SCRIPT}<style>body{{display:none}}</style>{BREAKOUT}"
        f'<a href="javascript:alert(1)" onclick="alert(1)">click</a></p>'
    )
    profile = Profile(
        Platform.MASTODON,
        EVIL_URL,
        EVIL,
        display_name=EVIL,
        bio=EVIL,
        bio_html=bio_html,
        fields=(ProfileField(EVIL, f'{EVIL}<a href="javascript:alert(1)">x</a>'),),
        avatar=Media(MediaKind.IMAGE, EVIL_URL, alt=EVIL, sha256=sha, local_path=local),
        banner=Media(MediaKind.IMAGE, EVIL_URL, alt=EVIL),  # not stored: not shown
        url=EVIL_URL,
        title=f"title {EVIL}",
        theme={"background_color": EVIL, "header_image": EVIL_URL, EVIL: EVIL},
        counts={EVIL: EVIL, "followers": 3},
    )
    save_profile(backup, replace(profile, display_name=f"old {EVIL}", bio=f"old {EVIL}"), T0)
    save_profile(backup, profile, T0)
    person = Person(EVIL, EVIL, EVIL, url="javascript:alert(1)", avatar_url=EVIL_URL)
    liked = Post(PostRef(Platform.MASTODON, EVIL, "l1", EVIL_URL), T0, RichText(EVIL), title=EVIL)
    unread = PostRef(Platform.MASTODON, EVIL, "l2", "javascript:alert(1)")
    collections = {
        Collection.LIKES: [Entry("1", T0, liked.ref, liked), Entry("2", T0, unread)],
        Collection.FOLLOWING: [Entry("f", T0, person=person)],
        Collection.LISTS: [Entry("l", T0, name=EVIL, description=EVIL, members=(person,))],
    }
    for kind, entries in collections.items():
        save_collection(backup, kind, entries, T0, complete=True)


def test_every_field_of_an_account_is_escaped(tmp_path: Path) -> None:
    hostile_account(tmp_path / "backup")
    out = tmp_path / "site"
    render_site(tmp_path / "backup", out)
    pages = [out / "accounts.html", *sorted((out / "accounts").rglob("*.html"))]
    assert len(pages) == 5  # accounts.html, the profile, likes, following, lists
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
        assert "<style>" not in html, path
        elements = parsed(html)
        for tag, attrs in elements.tags:
            assert not [name for name in attrs if name.startswith("on")], (path, tag, attrs)
            assert tag != "script" or (attrs.get("src") or "").endswith(".js"), (path, attrs)
            assert "style" not in attrs, (path, tag)
        assert all(src and "media/" in src for src in elements.attribute("img", "src")), path
        hrefs = elements.attribute("a", "href")
        assert all(href and not href.lower().startswith("javascript") for href in hrefs), path
    profile = parsed(next((out / "accounts").glob("*.html")).read_text(encoding="utf-8"))
    texts = profile.texts
    assert f"{EVIL} · crosspost archive" in texts  # the display name, as the page's title
    assert EVIL in texts  # the display name, the field's name, a theme value
    assert f"@{EVIL}" in texts  # the handle
    assert f"Blog title: title {EVIL}" in texts
    assert profile.attribute("img", "alt") == [EVIL]  # the avatar's description
    assert f"old {EVIL}" in texts  # what an earlier profile said
    lists = parsed((out / "accounts" / next((out / "accounts").glob("*/")).name / "lists.html")
                   .read_text(encoding="utf-8"))  # fmt: skip
    assert lists.texts.count(EVIL) >= 3  # the list's name and description, its member's name


def test_the_card_spool_gives_back_the_markup_it_took_and_takes_no_plain_text(
    tmp_path: Path,
) -> None:
    with CardSpool(3, tmp_path) as spool:
        spool.put(2, Markup("<article>caf\u00e9 \u732b</article>"))
        spool.put(0, Markup("<p>first</p>"))
        with pytest.raises(TypeError):
            spool.put(1, "<script>alert(1)</script>")  # type: ignore[arg-type]
        assert spool.get(2) == Markup("<article>caf\u00e9 \u732b</article>")
        assert isinstance(spool.get(0), Markup)
        assert spool.get(0) == "<p>first</p>"
        assert spool.get(1) is None
        assert spool.get(3) is None
        assert list(tmp_path.iterdir()) == []  # an unnamed file: nothing is left behind
