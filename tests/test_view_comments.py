"""The comments under a post in the viewer: hostile comment HTML (and every other field of a
comment) comes out inert, and a page is made again when its comments change."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from crosspost.account_data import Collection, Entry, Person
from crosspost.backup.account_files import save_collection
from crosspost.backup.store import AccountBackup, BackupStore
from crosspost.model import Platform, Post, PostKind, PostRef, RichText
from crosspost.view import render_site
from tests.test_view_browser import PAYLOADS

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_ALLOWED = {"p", "br", "a", "span", "strong", "em", "del", "small", "code", "h1", "h2"}
_ALLOWED |= {"blockquote", "ul", "ol", "li", "section", "time", "div"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def journal(root: Path) -> tuple[AccountBackup, Post]:
    backup = BackupStore(root).account(Platform.DREAMWIDTH, "alice")
    post = Post(PostRef(Platform.DREAMWIDTH, "alice", "256"), T0, RichText("an entry"))
    backup.save_post(post)
    return backup, post


def comment(number: int, on: Post, payload: str, *, parent: int = 0, text: bool = True) -> Entry:
    """A comment whose every field carries `payload`: poster, URL, subject, body (as text the
    client read, or only as the export's HTML)."""
    ref = PostRef(Platform.DREAMWIDTH, "alice", f"256-{number}", f"https://x.test/{payload}")
    body = RichText(f"said {payload}") if text else RichText()
    post = Post(ref, T0, body, kind=PostKind.REPLY, title=payload, reply_to=on.ref)
    raw = {"id": number, "parentid": parent, "state": "A", "subject": payload,
           "body": f"<p>said {payload}</p>"}  # fmt: skip
    person = Person(f"{number}@x.test", payload, url=f"javascript:alert({number})")
    return Entry(str(number), T0, subject=on.ref, post=post, person=person, raw=raw)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_comments_come_out_inert(tmp_path: Path, payload: str) -> None:
    backup, post = journal(tmp_path / "backup")
    entries = [
        comment(1, post, payload),
        comment(2, post, payload, parent=1, text=False),  # the export's HTML, sanitised
    ]
    save_collection(backup, Collection.COMMENTS, entries, T0, complete=True)
    render_site(tmp_path / "backup", tmp_path / "site")
    (page,) = [
        text
        for text in (p.read_text(encoding="utf-8") for p in (tmp_path / "site/posts").iterdir())
        if 'class="comments"' in text
    ]
    section = page[page.index('<section class="comments"') : page.index("</section>") + 10]
    parser = _Tags()
    parser.feed(section)
    assert parser.tags, section
    for tag, attributes in parser.tags:
        assert tag in _ALLOWED, section
        assert not [name for name in attributes if name.startswith("on")], section
        href = attributes.get("href", "https://")
        assert href.startswith(("https://", "http://", "mailto:")), section
    assert "<script" not in section
    assert "javascript:alert(1)" not in section  # the poster's URL is not made a link


def test_a_page_is_made_again_when_its_comments_change(tmp_path: Path) -> None:
    backup, post = journal(tmp_path / "backup")
    first = comment(1, post, "hello")
    save_collection(backup, Collection.COMMENTS, [first], T0, complete=True)
    render_site(tmp_path / "backup", tmp_path / "site")
    again = render_site(tmp_path / "backup", tmp_path / "site")
    assert not [p for p in again.written if "posts/" in str(p)]  # nothing changed: kept
    deleted = replace(first, raw={**first.raw, "state": "D"})
    save_collection(backup, Collection.COMMENTS, [deleted], T0, complete=True)
    third = render_site(tmp_path / "backup", tmp_path / "site")
    made = [Path(p) for p in third.written if "posts/" in str(p)]
    assert len(made) == 1
    html = (tmp_path / "site" / made[0]).read_text(encoding="utf-8")
    assert "deleted comment" in html
    assert "said hello" not in html
