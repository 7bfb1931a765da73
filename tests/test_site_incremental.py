"""`crosspost site` renders incrementally: what it leaves is the site a fresh render of the same
backup makes, file by file, after posts are added across page boundaries, after a post turns
private or is deleted on the platform (its page and every trace of it go), and its cache, which
names the hidden posts, is kept beside the backup, never in the folder that is uploaded."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from crosspost.backup.store import BackupStore
from crosspost.model import (
    Media,
    MediaKind,
    Platform,
    Post,
    PostKind,
    PostRef,
    RichText,
    Visibility,
)
from crosspost.progress import RecordingProgress
from crosspost.view import load
from crosspost.view.depends import CACHE
from crosspost.view.load import post_slug, read_post
from crosspost.view.public import PublicOptions, Robots, render_public_site
from crosspost.view.public_state import SIGS, STATE, state_folder
from tests.site_world import URL, Secret, build_world
from tests.test_view_incremental import _numbered
from tests.test_view_sample import MASTO, T0, TUMBLR, png, store_media

OPTIONS = PublicOptions(URL, Robots.INDEX, old_addresses=True)


def _files(out: Path) -> dict[str, bytes | None]:
    """Each file's bytes, and each folder (None): a folder left empty names what was in it."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes() if p.is_file() else None
        for p in out.rglob("*")
    }


def _render(root: Path, out: Path, options: PublicOptions = OPTIONS) -> tuple[str, ...]:
    return render_public_site(root, out, options, per_page=2).written


def _same_as_fresh(root: Path, out: Path, fresh: Path, options: PublicOptions = OPTIONS) -> None:
    assert not fresh.exists()
    _render(root, fresh, options)
    assert _files(out) == _files(fresh)


def _no_trace(out: Path, secrets: list[Secret]) -> None:
    for path in (p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for secret in secrets:
            for needle in (secret.text, secret.post_id, secret.media_name):
                if needle:
                    assert needle.encode() not in data, (needle, path)
                    assert needle not in path.relative_to(out).as_posix(), (needle, path)


def _toot(number: int, text: str, **given: object) -> Post:
    post_id = f"4242{number:05d}"  # a needle no hash of the site's holds by chance
    ref = PostRef(Platform.MASTODON, MASTO, post_id, f"https://mastodon.social/@alice/{post_id}")
    return Post(ref, T0 + timedelta(days=number % 500), RichText(text), **given)  # type: ignore[arg-type]


def test_incremental_renders_are_the_fresh_render_file_by_file(tmp_path: Path) -> None:
    root, out = tmp_path / "backup", tmp_path / "site"
    secrets = build_world(root)
    store = BackupStore(root)
    bsky = store.account(Platform.BLUESKY, "alice.bsky.social")
    masto = store.account(Platform.MASTODON, MASTO)
    tumblr = store.account(Platform.TUMBLR, TUMBLR)
    first = _render(root, out)
    assert first
    assert _render(root, out) == ()
    # Posts across page boundaries: the index gains older pages, a tag a page of its run.
    for step, numbers in enumerate([range(3), range(3, 4), range(4, 60)]):
        bsky.save_posts(_numbered(numbers))
        made = _render(root, out)
        assert made
        _same_as_fresh(root, out, tmp_path / f"fresh-add{step}")
    # A public post turns followers-only: a Mastodon post that a later public post replies to.
    sha, local = store_media(masto, root, png((3, 140, 90)), "png")
    image = Media(MediaKind.IMAGE, f"https://cdn.example/{sha}.png", "its picture", sha256=sha,
                  local_path=local)  # fmt: skip
    parent = _toot(700, "WATCHED parent words", tags=("onlyhere",), media=(image,))
    masto.save_post(parent)
    masto.save_post(_toot(701, "a reply to it", kind=PostKind.REPLY, reply_to=parent.ref,
                          thread_root=parent.ref))  # fmt: skip
    _render(root, out)
    page = out / "posts" / f"{post_slug(parent)}.html"
    assert page.is_file()
    assert (out / "tags" / "onlyhere.html").is_file()
    assert list(out.rglob(f"{sha}.*"))
    masto.save_post(parent.with_changes(visibility=Visibility.FOLLOWERS))
    _render(root, out)
    _same_as_fresh(root, out, tmp_path / "fresh-private")
    assert not page.exists()
    assert not (out / "tags" / "onlyhere.html").exists()
    gone = [*secrets, Secret("WATCHED parent words", "424200700", sha)]
    _no_trace(out, gone)
    assert "a post not on this site" in (out / "index.html").read_text("utf-8")
    # A Tumblr post deleted on the platform: its page, its old address and its feed entry go.
    blog = next(p for p in tumblr.posts_dir.glob("*.json") if "555" in p.name)
    post = read_post(blog)
    redirect = out / "post" / "555" / "index.html"
    assert redirect.is_file()
    tumblr.save_post(post.with_changes(deleted=True))
    _render(root, out)
    _same_as_fresh(root, out, tmp_path / "fresh-deleted")
    assert not redirect.exists()
    assert not (out / "post").exists()  # nor the folders named by its id and slug
    assert not (out / "posts" / f"{post_slug(post)}.html").exists()
    _no_trace(out, [*gone, Secret(post.text.text[:40], "unused-id")])
    # A reply to a post the backup did not hold links to it on its platform; once the backup
    # holds it as followers-only, the reply names it "a post not on this site", unlinked.
    later = _toot(710, "LATER saved words", visibility=Visibility.FOLLOWERS)
    masto.save_post(_toot(711, "a reply to a post not yet saved", kind=PostKind.REPLY,
                          reply_to=later.ref, thread_root=later.ref))  # fmt: skip
    _render(root, out)
    assert f'href="{later.ref.url}"' in (out / "index.html").read_text("utf-8")
    masto.save_post(later)
    _render(root, out)
    _same_as_fresh(root, out, tmp_path / "fresh-later")
    _no_trace(out, [*gone, Secret("LATER saved words", "424200710")])
    # The hidden post public again, and a post file gone from the backup.
    masto.save_post(parent)
    bsky.post_path(_numbered(range(1, 2))[0].ref.id).unlink()
    _render(root, out)
    _same_as_fresh(root, out, tmp_path / "fresh-back")
    assert _render(root, out) == ()


def test_an_unchanged_backup_is_not_read_again_and_a_new_post_makes_few_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, out = tmp_path / "backup", tmp_path / "site"
    build_world(root)
    BackupStore(root).account(Platform.BLUESKY, "alice.bsky.social").save_posts(
        _numbered(range(120))
    )
    _render(root, out)
    reads: list[str] = []
    real = load.read_post

    def counting(path: str | Path) -> Post:
        reads.append(str(path))
        return real(path)

    monkeypatch.setattr(load, "read_post", counting)
    assert _render(root, out) == ()
    assert reads == []  # not even to know which posts are public
    masto = BackupStore(root).account(Platform.MASTODON, MASTO)
    masto.save_post(_toot(900, "one more public post"))
    made = _render(root, out)
    # Its page, the index, its month, its account's page and feed, the search index's newest
    # chunk (whose posts are read again to make it) and the list of chunks.
    page = f"posts/{post_slug(_toot(900, ''))}.html"
    assert [p for p in made if p.startswith("posts/")] == [page]
    assert len(made) < 20, made


def test_the_cache_is_beside_the_backup_one_per_site_and_a_damaged_one_means_a_full_render(
    tmp_path: Path,
) -> None:
    root, out = tmp_path / "backup", tmp_path / "site"
    secrets = build_world(root)
    _render(root, out)
    key = (OPTIONS.url, OPTIONS.robots.value, OPTIONS.old_addresses)
    folder = state_folder(root, out, key)
    assert folder.parent == root / STATE
    assert (folder / CACHE).is_file()
    assert (folder / SIGS).is_file()
    for made in (root / ".state", root / STATE, folder):
        assert stat.S_IMODE(made.stat().st_mode) == 0o700
    cache = (folder / CACHE).read_text("utf-8")
    assert secrets[0].post_id in cache  # it knows the hidden posts; the site does not
    _no_trace(out, secrets)
    assert not [p for p in out.rglob("*") if p.name == CACHE or p.name == SIGS]
    # Another site from the same backup (other options, another folder) has its own cache.
    other = tmp_path / "other"
    plain = PublicOptions(robots=Robots.NOINDEX)
    _render(root, other, plain)
    assert len(list((root / STATE).iterdir())) == 2
    assert _render(root, out) == ()
    assert _render(root, other, plain) == ()
    # Other options into the same folder, then the first again: each time the fresh site, and
    # the cache of the options replaced is removed.
    _render(root, out, plain)
    _same_as_fresh(root, out, tmp_path / "fresh-plain", plain)
    assert not folder.exists()
    _render(root, out)
    _same_as_fresh(root, out, tmp_path / "fresh-again")
    assert folder.is_dir()
    assert len([p for p in (root / STATE).iterdir() if p.name != folder.name]) == 3  # fresh ones
    # A damaged cache, then none: every page is made again, and the same site results.
    masto = BackupStore(root).account(Platform.MASTODON, MASTO)
    masto.save_post(_toot(901, "a post while the cache was damaged"))
    (folder / CACHE).write_bytes((folder / CACHE).read_bytes()[:300] + b"\x00garbage\n")
    (folder / SIGS).write_text("{not json", encoding="utf-8")
    assert len(_render(root, out)) > 1
    _same_as_fresh(root, out, tmp_path / "fresh-damaged")
    sigs = (folder / SIGS).read_bytes()
    (folder / SIGS).write_bytes(sigs[: len(sigs) // 2])  # cut short inside a line
    masto.save_post(_toot(902, "a post while the sigs were cut short"))
    _render(root, out)
    _same_as_fresh(root, out, tmp_path / "fresh-cut")
    for path in folder.iterdir():
        path.unlink()
    _render(root, out)
    _same_as_fresh(root, out, tmp_path / "fresh-none")
    assert _render(root, out) == ()


def test_a_backup_folder_that_cannot_hold_the_cache_still_gets_its_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, out = tmp_path / "backup", tmp_path / "site"
    build_world(root)
    real_mkdir = Path.mkdir

    def refusing(self: Path, *args: object, **kwargs: object) -> None:
        if self.is_relative_to(root / ".state"):
            raise PermissionError(13, "Permission denied")
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", refusing)
    progress = RecordingProgress()
    report = render_public_site(root, out, OPTIONS, progress=progress, per_page=2)
    assert report.written
    assert not (root / ".state").exists()
    assert any("cannot keep the site's cache" in note for note in progress.notes), progress.notes
    monkeypatch.undo()
    _same_as_fresh(root, out, tmp_path / "fresh")
    assert os.listdir(root / STATE)
