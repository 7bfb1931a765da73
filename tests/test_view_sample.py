"""A small backup with every kind of post the viewer shows, built with the real BackupStore;
and tests of how the viewer reads it (accounts, order, tags, conversations, media)."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from crosspost.backup.store import AccountBackup, BackupStore
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
from crosspost.view.load import load_archive, media_file

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
BSKY = "alice.bsky.social"
MASTO = "alice@mastodon.social"
TUMBLR = "alice"
ALT = "A red square on a white table"


def png(color: tuple[int, int, int] = (200, 40, 40), size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def store_media(backup: AccountBackup, root: Path, data: bytes, extension: str) -> tuple[str, str]:
    """Save bytes in the content-addressed store; (sha256, local path relative to the root)."""
    digest = hashlib.sha256(data).hexdigest()
    path = backup.media_path(digest, extension)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest, path.relative_to(root).as_posix()


def bsky_ref(rkey: str, account: str = BSKY) -> PostRef:
    return PostRef(
        Platform.BLUESKY,
        account,
        f"at://did:plc:alice/app.bsky.feed.post/{rkey}",
        f"https://bsky.app/profile/{account}/post/{rkey}",
    )


def rich(text: str, *marks: tuple[str, str, str]) -> RichText:
    """RichText with spans on the first occurrence of each (substring, kind, value)."""
    spans = []
    for needle, kind, value in marks:
        start = text.index(needle)
        spans.append(Span(start, start + len(needle), SpanKind(kind), value))
    return RichText(text, tuple(spans))


def build_sample(root: Path) -> dict[str, Post]:
    """Three accounts on three platforms; returns the posts by a short name."""
    store = BackupStore(root)
    bsky = store.account(Platform.BLUESKY, BSKY)
    masto = store.account(Platform.MASTODON, MASTO)
    tumblr = store.account(Platform.TUMBLR, TUMBLR)
    sha, local = store_media(bsky, root, png(), "png")
    image = Media(MediaKind.IMAGE, "https://cdn.example/x.png", ALT, 64, 48, "image/png",
                  sha256=sha, local_path=local)  # fmt: skip
    video_sha, video_path = store_media(masto, root, b"\x00\x00\x00\x18ftypmp42", "mp4")
    audio_sha, audio_path = store_media(masto, root, b"ID3fake-audio", "mp3")
    first = bsky_ref("3kaaa")
    posts = {
        "image": Post(
            first,
            T0,
            rich(
                "Painted this today #art, more at example.com",
                ("#art", "tag", "art"),
                ("example.com", "link", "https://example.com/"),
            ),
            media=(image,),
            tags=("Painting",),
        ),
        "reply": Post(
            bsky_ref("3kbbb"),
            T0 + timedelta(hours=1),
            RichText("And here is the frame."),
            kind=PostKind.REPLY,
            reply_to=first,
            thread_root=first,
        ),
        "reply2": Post(
            bsky_ref("3kccc"),
            T0 + timedelta(hours=2),
            RichText("Last one in the thread."),
            kind=PostKind.REPLY,
            reply_to=bsky_ref("3kbbb"),
            thread_root=first,
        ),
        "quote": Post(
            bsky_ref("3kddd"),
            T0 + timedelta(days=20),
            RichText("Look at this."),
            kind=PostKind.QUOTE,
            quote_of=bsky_ref("3zzz", "bob.bsky.social"),
            trail=(Post(bsky_ref("3zzz", "bob.bsky.social"), T0, RichText("Bob's quoted words")),),
            link_card=LinkCard("https://example.org/a", "Card title", "Card description"),
        ),
        "cw": Post(
            bsky_ref("3keee"),
            T0 + timedelta(days=40),
            RichText("The ending was a twist"),
            content_warning="film spoilers",
            tags=("films",),
        ),
        "video": Post(
            PostRef(Platform.MASTODON, MASTO, "1001", "https://mastodon.social/@alice/1001"),
            T0 + timedelta(days=3),
            RichText("A clip and a song"),
            media=(
                Media(
                    MediaKind.VIDEO,
                    None,
                    "a short clip",
                    mime="video/mp4",
                    sha256=video_sha,
                    local_path=video_path,
                ),
                Media(
                    MediaKind.AUDIO,
                    None,
                    "a song",
                    mime="audio/mpeg",
                    sha256=audio_sha,
                    local_path=audio_path,
                ),
                Media(MediaKind.IMAGE, "https://files.example/remote.png", "never fetched"),
            ),
        ),
        "boost": Post(
            PostRef(Platform.MASTODON, MASTO, "1002", "https://mastodon.social/@alice/1002"),
            T0 + timedelta(days=4),
            kind=PostKind.REPOST,
            repost_of=PostRef(
                Platform.MASTODON, "carol@example.social", "77", "https://example.social/@carol/77"
            ),
            trail=(
                Post(
                    PostRef(
                        Platform.MASTODON,
                        "carol@example.social",
                        "77",
                        "https://example.social/@carol/77",
                    ),
                    T0,
                    RichText("Carol's boosted post"),
                ),
            ),
        ),
        "reblog": Post(
            PostRef(Platform.TUMBLR, TUMBLR, "555", "https://alice.tumblr.com/post/555"),
            T0 + timedelta(days=60),
            RichText("my comment on the reblog"),
            kind=PostKind.REBLOG_WITH_COMMENT,
            title="A reblog",
            trail=(
                Post(
                    PostRef(Platform.TUMBLR, "dave", "444", "https://dave.tumblr.com/post/444"),
                    T0,
                    RichText("dave's original"),
                ),
            ),
            tags=("Art", "cats"),
            unsupported=(Unsupported("poll", "polls are not carried", "Cats or dogs?"),),
        ),
    }
    for name, post in posts.items():
        target = {Platform.BLUESKY: bsky, Platform.MASTODON: masto, Platform.TUMBLR: tumblr}
        target[post.ref.platform].save_post(post)
        assert name
    return posts


def test_every_account_is_read_newest_first(tmp_path: Path) -> None:
    posts = build_sample(tmp_path)
    archive = load_archive(tmp_path)
    assert len(archive.accounts) == 3
    assert archive.entries[0].post == posts["reblog"]
    dates = [e.post.created_at for e in archive.entries]
    assert dates == sorted(dates, reverse=True)


def test_tags_merge_case_and_include_hashtags_in_text(tmp_path: Path) -> None:
    build_sample(tmp_path)
    archive = load_archive(tmp_path)
    assert set(archive.tags) == {"art", "painting", "films", "cats"}
    assert len(archive.tags["art"]) == 2  # "#art" in the text of one post, "Art" on another


def test_replies_form_one_conversation_in_order(tmp_path: Path) -> None:
    posts = build_sample(tmp_path)
    archive = load_archive(tmp_path)
    (members,) = archive.conversations.values()
    assert [(e.post, depth) for e, depth in members] == [
        (posts["image"], 0),
        (posts["reply"], 1),
        (posts["reply2"], 2),
    ]


def test_media_is_shown_only_from_files_inside_the_backup(tmp_path: Path) -> None:
    root = tmp_path / "backup"
    backup = BackupStore(root).account(Platform.BLUESKY, BSKY)
    _, stored = store_media(backup, root, png(), "png")
    folder = (root / stored).parent
    secret = tmp_path / "secret.png"
    secret.write_bytes(png())
    (folder / "in.png").symlink_to(root / stored)
    (folder / "out.png").symlink_to(secret)
    (folder / "away").symlink_to(tmp_path)  # a folder that leads out of the backup
    base = folder.relative_to(root).as_posix()
    paths = [stored, f"{base}/in.png", f"{base}/out.png", f"{base}/away/secret.png"]
    paths += ["../secret.png", f"{base}/../../../../../secret.png", f"{base}/gone.png", base]
    media = tuple(Media(MediaKind.IMAGE, local_path=path) for path in paths)
    backup.save_post(Post(bsky_ref("m"), T0, RichText("m"), media=media))
    archive = load_archive(root)
    (entry,) = archive.entries
    found = [media_file(archive, entry, item) for item in entry.post.media]
    real = (root / stored).resolve()
    assert found == [real, real, None, None, None, None, None, None]
