"""Rendering without a browser: the pages' HTML, sanitising, pagination and incremental writes."""

from __future__ import annotations

import gc
import re
from datetime import timedelta
from pathlib import Path

import pytest

from crosspost.backup.store import BackupStore
from crosspost.errors import DataError
from crosspost.model import LinkCard, Platform, Post, RichText, Span, SpanKind
from crosspost.progress import RecordingProgress
from crosspost.view import render_site
from crosspost.view.cards import Cards
from crosspost.view.load import Archive, load_archive
from crosspost.view.pages import CSP, chunk_count
from crosspost.view.safe import body_html, safe_url, sanitiser, tag_slug
from crosspost.view.write import SiteWriter
from tests.cli_helpers import run_cli
from tests.test_view_sample import ALT, BSKY, T0, bsky_ref, build_sample


def page(out: Path, relative: str) -> str:
    return (out / relative).read_text(encoding="utf-8")


def post_page(out: Path, text: str) -> str:
    """The page of the post showing `text` (in a conversation: the highlighted one)."""
    for path in sorted((out / "posts").glob("*.html")):
        html = path.read_text(encoding="utf-8")
        main = html.split("<main>")[1]
        if '<li class="depth-' in main:
            main = main[main.index(" current") :]
        if text in main.split("</article>")[0]:
            return html
    raise AssertionError(f"no post page shows {text!r}")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    build_sample(tmp_path / "backup")
    render_site(tmp_path / "backup", tmp_path / "site")
    return tmp_path / "site"


def test_every_page_has_the_strict_policy_and_no_inline_script(site: Path) -> None:
    for path in site.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in html
        assert "default-src 'none'" in CSP
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == [], path
        assert " style=" not in html
        assert "http://" not in re.sub(r'href="[^"]*"', "", html)
        assert re.findall(r'src="https?:', html) == [], path


def test_images_come_from_the_local_store_with_their_alt_text(site: Path) -> None:
    html = post_page(site, "Painted this today")
    sources = re.findall(r'<img src="([^"]+)" alt="' + re.escape(ALT) + '"', html)
    (src,) = sources
    assert src.startswith("../media/")
    assert (site / "posts" / src).resolve().is_file()
    assert f'<figcaption class="alt">{ALT}</figcaption>' in html


def test_video_and_audio_get_players_and_remote_media_only_a_link(site: Path) -> None:
    html = post_page(site, "A clip and a song")
    assert re.search(r'<video controls preload="metadata" src="\.\./media/[^"]+\.mp4">', html)
    assert re.search(r'<audio controls preload="metadata" src="\.\./media/[^"]+\.mp3">', html)
    assert "image not in the backup" in html
    assert '<a href="https://files.example/remote.png"' in html
    assert 'src="https://files.example' not in html


def test_content_warnings_fold_and_quotes_show_as_quoted_posts(site: Path) -> None:
    cw = post_page(site, "The ending was a twist")
    assert '<details class="cw"><summary>CW: film spoilers</summary>' in cw
    quote = post_page(site, "Look at this.")
    assert '<blockquote class="quoted">' in quote
    assert "Bob's quoted words" in quote
    assert "Card title" in quote


def test_reblog_trails_come_before_the_comment(site: Path) -> None:
    html = post_page(site, "my comment on the reblog")
    assert html.index("dave's original") < html.index("my comment on the reblog")
    assert '<div class="poll" dir="ltr"><pre>Cats or dogs?</pre></div>' in html  # no jargon
    assert "not shown" not in html
    assert 'href="https://alice.tumblr.com/post/555"' in html  # the link to the original


def test_a_reply_links_to_its_parent_and_shows_the_conversation(site: Path) -> None:
    html = post_page(site, "Last one in the thread.")
    assert '↩ in reply to <a href="../posts/bluesky-' in html
    (thread, anchor) = re.findall(r'href="\.\./(threads/[0-9a-f]+\.html)#(p-[^"]+)"', html)[0]
    conversation = page(site, thread)
    assert conversation.count('<li id="p-') == 3
    # A self-thread (alice answering alice) reads as one column, not a staircase.
    assert f'<li id="{anchor}" class="depth-0">' in conversation
    assert "depth-1" not in conversation


def test_tag_links_in_text_lead_to_the_local_tag_page(site: Path) -> None:
    html = post_page(site, "Painted this today")
    assert 'href="../tags/art.html" class="mention hashtag"' in html
    assert (site / "tags" / "art.html").is_file()
    assert "#Art" in page(site, "tags.html") or "#art" in page(site, "tags.html")


def test_sanitising_keeps_links_and_drops_scripts() -> None:
    text = "x <script>alert(1)</script> y"
    rich = RichText(
        text, (Span(0, 1, SpanKind.LINK, "javascript:alert(1)"), Span(28, 29, SpanKind.TAG, "t"))
    )
    html = body_html(rich, sanitiser(lambda tag: f"tags/{tag}.html"))
    assert "<script>" not in html
    assert "javascript:" not in html
    assert "&lt;script&gt;" in html
    assert 'href="tags/t.html"' in html
    assert safe_url("JAVASCRIPT:alert(1)") is None
    assert safe_url(" https://example.com/") == "https://example.com/"
    assert safe_url("HTTPS://example.com/") == "HTTPS://example.com/"
    assert safe_url("https://[::1]/x") == "https://[::1]/x"
    assert safe_url("https://[::1/x") is None  # urlsplit: invalid IPv6 URL
    assert safe_url("https://ex\u2100ample.com/") is None  # a host that normalises to a/c


def test_tag_slugs_are_safe_file_names() -> None:
    assert tag_slug("Art") == tag_slug("art") == "art"
    for tag in ("../etc", "日本", "<script>", "a/b", ".", ""):
        slug = tag_slug(tag)
        assert re.fullmatch(r"[a-z0-9-]+", slug), slug
    assert tag_slug("a b") != tag_slug("a-b")


def test_pagination_keeps_older_pages_fixed(tmp_path: Path) -> None:
    assert [chunk_count(n, 5) for n in (0, 5, 6, 10, 11)] == [0, 0, 1, 1, 2]
    backup = BackupStore(tmp_path / "b").account(Platform.BLUESKY, BSKY)
    for number in range(12):
        backup.save_post(Post(bsky_ref(f"3k{number:03}"), T0 + timedelta(hours=number),
                              RichText(f"post number {number}")))  # fmt: skip
    out = tmp_path / "site"
    render_site(tmp_path / "b", out, per_page=5)
    assert sorted(p.name for p in (out / "page").iterdir()) == ["1.html", "2.html"]
    first = page(out, "page/1.html")
    assert all(f"post number {n}<" in first for n in range(5))
    assert first.index("post number 4<") < first.index("post number 0<")  # newest first
    assert 'href="2.html">← Newer' in first
    assert 'href="../index.html">← Newer' in page(out, "page/2.html")


def test_long_months_and_tags_are_split_into_pages_of_a_hundred(tmp_path: Path) -> None:
    backup = BackupStore(tmp_path / "b").account(Platform.BLUESKY, BSKY)
    for number in range(250):  # all in March 2024, all tagged #art
        when = T0 + timedelta(minutes=number)
        backup.save_post(Post(bsky_ref(f"3k{number:03}"), when, RichText(f"art post {number}"),
                              tags=("art",)))  # fmt: skip
    out = tmp_path / "site"
    progress = RecordingProgress()
    report = render_site(tmp_path / "b", out, progress=progress)
    pages = [p for p in report.written if p.endswith(".html")]
    assert progress.total_advanced("render pages") == len(pages)
    for folder, base in (("tags", "art"), ("archive", "2024-03")):
        names = sorted(p.name for p in (out / folder).iterdir())
        assert names == [f"{base}.1.html", f"{base}.2.html", f"{base}.html"]
        shown = [
            [int(n) for n in re.findall(r"art post (\d+)<", page(out, f"{folder}/{name}"))]
            for name in (f"{base}.html", f"{base}.2.html", f"{base}.1.html")
        ]
        assert shown[0] == list(range(249, 149, -1))  # the newest hundred, newest first
        assert shown[1] == list(range(199, 99, -1))  # fixed runs counted from the oldest
        assert shown[2] == list(range(99, -1, -1))
        first, middle, last = (page(out, f"{folder}/{base}{n}.html") for n in ("", ".2", ".1"))
        assert f'href="{base}.2.html">Older' in first
        assert f'href="{base}.html">← Newer' in middle
        assert f'href="{base}.1.html">Older' in middle
        assert f'href="{base}.2.html">← Newer' in last
        assert "Older →</a>" not in last
    assert "the newest 100 of 250 posts" in page(out, "tags/art.html")
    assert "the newest 100 of 250 posts" in page(out, "archive/2024-03.html")
    assert "250" not in page(out, "tags/art.2.html").split("<main>")[1]
    # A new post changes the newest page of its month and tag, never an older run.
    backup.save_post(Post(bsky_ref("3knew"), T0 + timedelta(hours=10), RichText("new art"),
                          tags=("art",)))  # fmt: skip
    again = render_site(tmp_path / "b", out)
    lists = sorted(p for p in again.written if p.startswith(("tags/", "archive/")))
    assert lists == ["archive/2024-03.html", "tags/art.html"]


def test_a_second_render_rewrites_only_the_pages_that_changed(tmp_path: Path) -> None:
    root, out = tmp_path / "backup", tmp_path / "site"
    build_sample(root)
    first = render_site(root, out)
    assert first.unchanged == 0
    times = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = render_site(root, out)
    assert again.written == ()
    assert {p: p.stat().st_mtime_ns for p in times} == times

    # An incremental backup brings one new post in an existing month with an existing tag.
    BackupStore(root).account(Platform.BLUESKY, BSKY).save_post(
        Post(bsky_ref("3knew"), T0 + timedelta(days=2), RichText("brand new"), tags=("films",))
    )
    third = render_site(root, out)
    new_page = next(p for p in third.written if p.startswith("posts/"))
    assert sorted(third.written) == sorted(
        [
            "index.html",
            "archive.html",
            "archive/2024-03.html",
            "tags.html",
            "tags/films.html",
            new_page,
            "assets/search-index.js",  # the number of posts
            "assets/search/1.js",  # the newest chunk of the index
        ]
    )
    untouched = [p for p in times if p.relative_to(out).as_posix() not in third.written]
    assert untouched
    for path in untouched:
        if path.name not in (".crosspost-view.json", ".crosspost-view-posts.jsonl"):
            assert path.stat().st_mtime_ns == times[path], path


def test_pages_that_no_longer_exist_are_removed(tmp_path: Path) -> None:
    root, out = tmp_path / "backup", tmp_path / "site"
    posts = build_sample(root)
    render_site(root, out)
    (out / "notes.txt").write_text("mine")
    backup = BackupStore(root).account(Platform.TUMBLR, "alice")
    backup.save_post(posts["reblog"].with_changes(tags=()))
    report = render_site(root, out)
    assert "tags/cats.html" in report.removed
    assert not (out / "tags" / "cats.html").exists()
    assert (out / "notes.txt").read_text() == "mine"  # never ours, never removed


def test_progress_is_reported(tmp_path: Path) -> None:
    build_sample(tmp_path / "b")
    progress = RecordingProgress()
    report = render_site(tmp_path / "b", tmp_path / "site", progress=progress)
    assert progress.total_advanced("load posts") == report.posts == 8
    assert progress.total_advanced("copy media") == report.media == 3
    assert ("start", "render pages", progress.total_advanced("render pages")) in progress.events


def test_a_render_frees_its_archive(tmp_path: Path) -> None:
    """Nothing a render made outlives it: a cycle through an object the garbage collector cannot
    see (an nh3.Cleaner whose filter held the cards) kept every render's archive alive."""
    build_sample(tmp_path / "b")
    render_site(tmp_path / "b", tmp_path / "site")
    gc.collect()
    assert not [item for item in gc.get_objects() if isinstance(item, (Archive, Cards))]


def test_a_folder_without_a_backup_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no backup here"):
        render_site(tmp_path, tmp_path / "site")
    with pytest.raises(DataError, match="no such backup folder"):
        render_site(tmp_path / "missing")


def test_link_cards_with_odd_urls_are_not_links(tmp_path: Path) -> None:
    backup = BackupStore(tmp_path / "b").account(Platform.BLUESKY, BSKY)
    card = LinkCard("javascript:alert(1)", "Title <b>", "desc")
    backup.save_post(Post(bsky_ref("3kx"), T0, RichText("hi"), link_card=card))
    render_site(tmp_path / "b", tmp_path / "site")
    html = post_page(tmp_path / "site", "hi")
    assert '<div class="card"><strong>Title &lt;b&gt;</strong>' in html
    assert 'href="javascript' not in html


def test_the_view_command_prints_a_summary(tmp_path: Path) -> None:
    build_sample(tmp_path / "b")
    result = run_cli("view", str(tmp_path / "b"), "--out", str(tmp_path / "s"))
    assert result.code == 0, result.err
    assert "rendered 8 posts from 3 accounts" in result.out
    assert "(30 written, 0 unchanged, 0 removed), 3 media files" in result.out
    assert f"open {(tmp_path / 's' / 'index.html').as_uri()}" in result.out
    again = run_cli("view", str(tmp_path / "b"), "--out", str(tmp_path / "s"))
    assert "(0 written, 30 unchanged, 0 removed)" in again.out
    missing = run_cli("view", str(tmp_path / "nothing"))
    assert missing.code == 8  # not there is not malformed (7)
    assert "no backup here yet" in missing.err


def _many_posts(root: Path, count: int) -> None:
    """`count` posts of one account, some with tags, every third replying to the one before,
    each with a large native payload."""
    backup = BackupStore(root).account(Platform.BLUESKY, BSKY)
    posts = []
    for number in range(count):
        text = f"Post number {number} #tag{number % 7}"
        spans = (Span(text.index("#"), len(text), SpanKind.TAG, f"tag{number % 7}"),)
        post = Post(bsky_ref(f"r{number:04d}"), T0 + timedelta(hours=number), RichText(text, spans))
        if number % 3 and number:
            parent = bsky_ref(f"r{number - 1:04d}")
            post = post.with_changes(reply_to=parent, thread_root=parent)
        posts.append(post.with_changes(raw={"payload": "x" * 5000, "number": number}))
    backup.save_posts(posts)


def test_a_render_holds_a_few_posts_at_a_time_not_all_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every post as a model object at once (with its native payload) was most of a render's
    memory at 100,000 posts: the archive keeps small entries, and each page reads its posts."""
    _many_posts(tmp_path / "b", 300)
    live: list[int] = []
    write = SiteWriter.write

    def counting(self: SiteWriter, relative: str, text: str, sig: bytes = b"") -> bool:
        if len(live) < 5 or relative.startswith(("tags/", "threads/", "archive/")):
            gc.collect()
            live.append(sum(isinstance(item, Post) for item in gc.get_objects()))
        return write(self, relative, text, sig)

    monkeypatch.setattr(SiteWriter, "write", counting)
    report = render_site(tmp_path / "b", tmp_path / "site")
    assert report.posts == 300
    assert max(live) < 20, live


def test_a_posts_native_payload_is_not_read_into_the_archive(tmp_path: Path) -> None:
    _many_posts(tmp_path / "b", 3)
    archive = load_archive(tmp_path / "b")
    assert [entry.post.raw for entry in archive.entries] == [{}, {}, {}]
    assert archive.entries[0].post.text.text == "Post number 2 #tag2"
    stored = BackupStore(tmp_path / "b").account(Platform.BLUESKY, BSKY)
    assert all(post.raw["payload"] == "x" * 5000 for post in stored.iter_posts())


def test_a_damaged_post_file_is_named_in_one_line(tmp_path: Path) -> None:
    _many_posts(tmp_path / "b", 3)
    (broken,) = (path for path in (tmp_path / "b").rglob("*.json") if "r0001" in path.name)
    broken.write_text('{\n  "post": {"schema": ', encoding="utf-8")
    with pytest.raises(DataError, match=rf"{re.escape(broken.name)}: cannot read it") as raised:
        render_site(tmp_path / "b", tmp_path / "site")
    assert "\n" not in str(raised.value)
