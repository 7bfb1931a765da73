"""A conversation is shown once, on pages of its own that link to each other, not again on the
page of each of its posts: a site grows with the number of posts, not with the square of a
thread's length. The search index is split into fixed chunks loaded when a search begins."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from crosspost.backup.store import BackupStore
from crosspost.model import Platform, Post, PostKind, PostRef, RichText
from crosspost.view import render_site
from crosspost.view.load import THREAD_PAGE
from crosspost.view.search import CHUNK
from tests.test_view_sample import T0

ACCOUNT = "alice.example"


def ref(number: int, thread: int = 0) -> PostRef:
    return PostRef(Platform.BLUESKY, ACCOUNT, f"t{thread}-{number}", None)


def self_thread(root: Path, length: int, thread: int = 0, start: int = 0) -> None:
    """A thread of `length` posts, each replying to the one before."""
    backup = BackupStore(root).account(Platform.BLUESKY, ACCOUNT)
    first = ref(0, thread)
    for number in range(start, start + length):
        when = T0 + timedelta(days=thread, minutes=number)
        text = RichText(f"thread {thread} post {number} 猫の話")
        if number == 0:
            backup.save_post(Post(first, when, text))
            continue
        reply = {"kind": PostKind.REPLY, "reply_to": ref(number - 1, thread), "thread_root": first}
        backup.save_post(Post(ref(number, thread), when, text, **reply))  # type: ignore[arg-type]


def site_size(out: Path) -> int:
    return sum(p.stat().st_size for p in out.rglob("*.html"))


def test_each_post_page_holds_one_card_and_links_to_its_place_in_the_thread(
    tmp_path: Path,
) -> None:
    length = THREAD_PAGE * 2 + 10
    self_thread(tmp_path / "b", length)
    out = tmp_path / "site"
    render_site(tmp_path / "b", out)
    posts = sorted((out / "posts").glob("*.html"))
    assert len(posts) == length
    threads = sorted((out / "threads").glob("*.html"))
    assert len(threads) == 3  # pages of THREAD_PAGE posts
    for path in posts:
        html = path.read_text(encoding="utf-8")
        assert html.count("<article") == 1, path
        (link,) = re.findall(r'href="(\.\./threads/[^"#]+\.html)#(p-[a-z0-9-]+)"', html)
        thread_page = (path.parent / link[0]).read_text(encoding="utf-8")
        assert f'id="{link[1]}"' in thread_page
        assert f"posts/{path.name}" in thread_page.split(f'id="{link[1]}"')[1].split("</li>")[0]
    shown = sum(p.read_text(encoding="utf-8").count("<article") for p in threads)
    assert shown == length  # every post once, in order, over the thread's pages
    first, second, third = (p.read_text(encoding="utf-8") for p in _in_order(threads))
    assert "post 0 " in first
    assert f"post {THREAD_PAGE} " in second
    assert f"post {length - 1} " in third
    names = [p.name for p in _in_order(threads)]
    assert f'href="{names[1]}"' in first
    assert f'href="{names[0]}"' in second
    assert f'href="{names[2]}"' in second
    assert f'href="{names[1]}"' in third


def _in_order(threads: list[Path]) -> list[Path]:
    """base.html, base.2.html, base.3.html."""
    return sorted(threads, key=lambda p: int(p.suffixes[0][1:]) if len(p.suffixes) > 1 else 1)


def test_the_site_grows_linearly_with_a_threads_length(tmp_path: Path) -> None:
    self_thread(tmp_path / "short", 50)
    self_thread(tmp_path / "long", 200)
    short = render_site(tmp_path / "short", tmp_path / "s1")
    long = render_site(tmp_path / "long", tmp_path / "s2")
    ratio = site_size(long.out) / site_size(short.out)
    assert ratio < 5, ratio  # 4 times the posts; the square would be 16


def test_the_search_index_is_split_into_chunks_that_stay_put(tmp_path: Path) -> None:
    root, out = tmp_path / "b", tmp_path / "site"
    self_thread(root, CHUNK * 2 + 5)
    render_site(root, out)
    chunks = sorted((out / "assets" / "search").glob("*.js"))
    assert len(chunks) == 3
    search = (out / "search.html").read_text(encoding="utf-8")
    assert "assets/search/" not in search  # loaded by search.js when a search begins
    assert 'src="assets/search-index.js"' in search  # the small list of chunks
    assert (out / "assets" / "search-index.js").stat().st_size < 1000
    text = "".join(p.read_text(encoding="utf-8") for p in chunks)
    assert "\\u732b\\u306e\\u8a71" in text  # 猫の話, as ASCII-only JSON
    times = {p: p.stat().st_mtime_ns for p in chunks}
    self_thread(root, 1, start=CHUNK * 2 + 5)
    report = render_site(root, out)
    search_files = [p for p in report.written if "search" in p]
    # The newest chunk and the list of chunks; the full older chunks are left alone.
    assert len(search_files) == 2, search_files
    assert sum(1 for p, t in times.items() if p.stat().st_mtime_ns == t) == 2


def test_each_reply_is_shown_under_the_post_it_answers(tmp_path: Path) -> None:
    """Bob and Carol answer Alice; Alice then answers Bob. Read by time, Alice's answer would
    hang under Carol's; it is drawn right under Bob's, one step in (another author), and Carol's
    follows at Bob's depth."""
    root = tmp_path / "b"
    backup = BackupStore(root).account(Platform.BLUESKY, ACCOUNT)
    first = ref(0)

    def by(account: str, number: int) -> PostRef:
        return PostRef(Platform.BLUESKY, account, f"t0-{number}", None)

    backup.save_post(Post(first, T0, RichText("question")))
    for number, (author, parent) in enumerate(
        [("bob.example", first), ("carol.example", first), (ACCOUNT, by("bob.example", 1))],
        start=1,
    ):
        when = T0 + timedelta(minutes=number)
        reply = Post(
            by(author, number),
            when,
            RichText(f"answer {number} by {author}"),
            kind=PostKind.REPLY,
            reply_to=parent,
            thread_root=first,
        )
        BackupStore(root).account(Platform.BLUESKY, author).save_post(reply)
    out = tmp_path / "site"
    render_site(root, out)
    (thread,) = (out / "threads").glob("*.html")
    html = thread.read_text(encoding="utf-8")
    items = re.findall(r'class="depth-(\d)">(?:(?!</li>).)*?(question|answer \d)', html, re.S)
    assert items == [("0", "question"), ("1", "answer 1"), ("2", "answer 3"), ("1", "answer 2")]
