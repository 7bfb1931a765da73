"""An incremental render makes only the pages whose inputs changed, and what it leaves is the
site a fresh full render of the same backup makes, byte for byte."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crosspost.backup.store import BackupStore
from crosspost.model import Platform, Post, PostKind, RichText
from crosspost.view import listings, load, pages, render_site
from crosspost.view.write import MANIFEST
from tests.test_view_sample import BSKY, T0, bsky_ref, build_sample

_OWN = (MANIFEST, ".crosspost-view-posts.jsonl")


def _files(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in _OWN
    }


def _same_as_fresh(root: Path, out: Path, fresh: Path) -> None:
    render_site(root, fresh, per_page=2)
    assert _files(out) == _files(fresh)
    pages = [json.loads((o / MANIFEST).read_text())["pages"] for o in (out, fresh)]
    assert pages[0] == pages[1]


def test_incremental_renders_are_the_fresh_render_byte_for_byte(tmp_path: Path) -> None:
    root, out = tmp_path / "backup", tmp_path / "site"
    posts = list(build_sample(root).values())
    render_site(root, out, per_page=2)
    again = render_site(root, out, per_page=2)
    assert again.written == ()
    store = BackupStore(root)
    bsky = store.account(Platform.BLUESKY, BSKY)
    first = next(p for p in posts if p.ref.account == BSKY and p.reply_to is None)
    # New posts, one of them a reply joining a post that had no conversation.
    new = [
        first.with_changes(
            ref=bsky_ref(f"3new{n}"),
            created_at=T0 + timedelta(days=3 + n),
            text=RichText(f"new post {n}"),
            tags=("films",),
        )
        for n in range(3)
    ]
    reply = new[2].with_changes(kind=PostKind.REPLY, reply_to=first.ref, thread_root=first.ref)
    bsky.save_posts([*new[:2], reply])
    made = render_site(root, out, per_page=2)
    assert 0 < len(made.written) < made.pages - made.media
    _same_as_fresh(root, out, tmp_path / "fresh1")
    # An edited post (its text), and a tag added to another.
    for n, post in enumerate(posts[1:3]):
        backup = store.account(post.ref.platform, post.ref.account)
        if n == 0:
            backup.save_post(post.with_changes(text=RichText("edited text")))
        else:
            backup.save_post(post.with_changes(tags=(*post.tags, "newtag")))
    render_site(root, out, per_page=2)
    _same_as_fresh(root, out, tmp_path / "fresh2")
    # A deleted post.
    bsky.post_path(new[0].ref.id).unlink()
    render_site(root, out, per_page=2)
    _same_as_fresh(root, out, tmp_path / "fresh3")
    assert render_site(root, out, per_page=2).written == ()


def test_an_unchanged_backup_is_not_read_again_nor_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, out = tmp_path / "backup", tmp_path / "site"
    posts = list(build_sample(root).values())
    render_site(root, out)
    reads: list[str] = []
    real = load.read_post

    def counting(path: str | Path) -> Post:
        reads.append(str(path))
        return real(path)

    monkeypatch.setattr(load, "read_post", counting)
    assert render_site(root, out).written == ()
    assert reads == []  # no post file read, so no card or page made
    # One post edited: its file is read, for its own page and the pages that list it.
    post = posts[0]
    BackupStore(root).account(post.ref.platform, post.ref.account).save_post(
        post.with_changes(text=RichText("edited"))
    )
    made = render_site(root, out)
    assert f"posts/{load.post_slug(post)}.html" in made.written
    assert 0 < len(made.written) < made.pages - made.media


def _numbered(numbers: range) -> list[Post]:
    """Posts of one account, an hour apart: every one tagged "all" (so the tag runs onto pages
    of LIST_PAGE posts), some "odd", every fourth replying to the one before (conversations)."""
    posts = []
    for number in numbers:
        post = Post(bsky_ref(f"n{number:05d}"), T0 + timedelta(hours=7 * number),
                    RichText(f"Numbered post {number}"),
                    tags=("all", "odd") if number % 2 else ("all",))  # fmt: skip
        if number % 4 == 3:
            parent = bsky_ref(f"n{number - 1:05d}")
            post = post.with_changes(kind=PostKind.REPLY, reply_to=parent, thread_root=parent)
        posts.append(post)
    return posts


def test_new_posts_across_page_boundaries_render_as_a_fresh_site_making_few_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each step adds posts so that the index gains an older page, the "all" tag a run of
    LIST_PAGE posts and a month a page: what is left is the fresh render's site, and of the
    pages that list posts only those the new posts change are made again (a new older page
    of the index changes the link on the one before it, not the other pages)."""
    root, out = tmp_path / "backup", tmp_path / "site"
    bsky = BackupStore(root).account(Platform.BLUESKY, BSKY)
    bsky.save_posts(_numbered(range(199)))
    render_site(root, out, per_page=2)
    made: list[str] = []
    real = pages.posts_page

    def counting(title: str, *args: Any) -> str:
        made.append(title)
        return real(title, *args)

    monkeypatch.setattr(listings, "posts_page", counting)
    for step, (first, count) in enumerate([(199, 2), (201, 1), (202, 1), (203, 98)]):
        made.clear()
        bsky.save_posts(_numbered(range(first, first + count)))
        render_site(root, out, per_page=2)
        if count < 3:
            older = [title for title in made if title.startswith("Page ")]
            assert len(older) <= 2, older  # the new older page, and the one it follows
            assert len(made) <= 8, made  # and the newest pages of a month and the tags
        _same_as_fresh(root, out, tmp_path / f"fresh{step}")
    made.clear()
    assert render_site(root, out, per_page=2).written == ()
    assert made == []
