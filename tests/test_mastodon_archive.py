"""Import of a Mastodon account archive, built here from Mastodon's own writer.

No real archive is among the shared fixtures; these follow app/services/backup_service.rb
(media under their storage paths first, then outbox.json, likes.json, bookmarks.json, avatar,
header and actor.json, as app/serializers/activitypub/* write them).
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import IO, Any

import pytest

from crosspost.account_data import Collection
from crosspost.errors import DataError
from crosspost.model import MediaKind, Platform, PostKind, Visibility
from crosspost.platforms.mastodon.archive import ABSENT, boost_id, read_archive

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTOR = "https://example.social/users/me"
MEDIA = "media_attachments/files/110/000/001/original/cat.png"


def _note(number: int, **changes: Any) -> dict[str, Any]:
    note = {
        "id": f"{ACTOR}/statuses/{number}",
        "type": "Note",
        "summary": None,
        "inReplyTo": None,
        "published": "2024-05-01T10:00:00Z",
        "url": f"https://example.social/@me/{number}",
        "attributedTo": ACTOR,
        "to": [PUBLIC],
        "cc": [f"{ACTOR}/followers"],
        "sensitive": False,
        "content": f'<p>Post {number} <a href="https://example.social/tags/cats" '
        'class="mention hashtag" rel="tag">#<span>Cats</span></a></p>',
        "contentMap": {"en": "..."},
        "attachment": [],
        "tag": [{"type": "Hashtag", "href": "https://example.social/tags/cats", "name": "#cats"}],
    }
    return {**note, **changes}


def _create(note: Any) -> dict[str, Any]:
    return {"id": "x/activity", "type": "Create", "actor": ACTOR, "object": note}


def _announce(number: int, target: Any, to: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": f"{ACTOR}/statuses/{number}/activity",
        "type": "Announce",
        "actor": ACTOR,
        "published": f"2024-05-0{number % 9 + 1}T00:00:00Z",
        "to": to or [PUBLIC],
        "cc": [f"{ACTOR}/followers"],
        "object": target,
    }


OUTBOX_ITEMS: list[Any] = [
    _create(_note(1)),
    _create(
        _note(
            2,
            summary="cw",
            sensitive=True,
            to=[f"{ACTOR}/followers"],
            cc=[],
            attachment=[
                {
                    "type": "Document",
                    "mediaType": "image/png",
                    "url": "/" + MEDIA,
                    "name": "a cat",
                    "width": 8,
                    "height": 8,
                },
                {
                    "type": "Document",
                    "mediaType": "video/mp4",
                    "url": "/media_attachments/files/missing.mp4",
                    "name": "",
                },
            ],
        )
    ),
    _create(_note(3, inReplyTo=f"{ACTOR}/statuses/1", to=[], cc=[PUBLIC])),
    _create(
        _note(
            4,
            type="Question",
            content="<p>Tea?</p>",
            oneOf=[{"name": "yes", "replies": {"totalItems": 3}}, {"name": "no"}],
        )
    ),
    _announce(5, "https://other.host/users/bob/statuses/77"),
    _announce(8, "https://other.host/users/bob/statuses/78"),
    # A boost of one's own followers-only post carries the post (ActivityPresenter inlines it).
    _announce(9, _note(2, to=[f"{ACTOR}/followers"], cc=[]), to=[f"{ACTOR}/followers"]),
    {"id": f"{ACTOR}/statuses/10/activity", "type": "Announce", "to": [PUBLIC]},
    {"id": "broken", "type": "Create", "object": f"{ACTOR}/statuses/6"},
    {"id": "nodate", "type": "Create", "object": _note(7, published=None)},
    "not an activity",
    {"type": "Like", "object": "https://other.host/x"},
]
# As ActorSerializer writes it and BackupService rewrites icon and image to the archive's files.
ACTOR_JSON = {
    "id": ACTOR,
    "type": "Person",
    "preferredUsername": "me",
    "name": "Me Myself",
    "summary": '<p>I post <a href="https://example.social/tags/cats">#cats</a></p>',
    "url": "https://example.social/@me",
    "published": "2022-11-05T00:00:00Z",
    "attachment": [
        {"type": "PropertyValue", "name": "Site", "value": '<a href="https://me.example">me</a>'},
        {"type": "IdentityProof", "name": "old"},
    ],
    "icon": {"type": "Image", "mediaType": "image/png", "url": "avatar.png"},
    "image": {"type": "Image", "mediaType": "image/jpeg", "url": "header.jpg"},
    "outbox": "outbox.json",
    "likes": "likes.json",
    "bookmarks": "bookmarks.json",
}
PNG = b"\x89PNG\r\n\x1a\nfake bytes"
AVATAR = b"\x89PNG\r\n\x1a\navatar"
HEADER = b"\xff\xd8\xffheader"
LIKED = ["https://other.host/users/bob/statuses/1", "https://other.host/users/bob/statuses/2"]
BOOKMARKED = [f"{ACTOR}/statuses/1", 42]


def _collection(name: str, items: list[Any]) -> bytes:
    document = {"id": name, "type": "OrderedCollection", "totalItems": len(items)}
    return json.dumps({**document, "orderedItems": items}).encode()


def _outbox_bytes() -> bytes:
    outbox = {"type": "OrderedCollection", "orderedItems": OUTBOX_ITEMS}
    text = json.dumps(outbox)
    # Real archives have been seen with a key twice; the reader must cope.
    return text.replace(
        '"type": "OrderedCollection"', '"type": "x", "type": "OrderedCollection"'
    ).encode()


def _members() -> dict[str, bytes]:
    """In BackupService's order: media, outbox, likes, bookmarks, avatar, header, actor."""
    return {
        MEDIA: PNG,
        "outbox.json": _outbox_bytes(),
        "likes.json": _collection("likes.json", LIKED),
        "bookmarks.json": _collection("bookmarks.json", BOOKMARKED),
        "avatar.png": AVATAR,
        "header.jpg": HEADER,
        "actor.json": json.dumps(ACTOR_JSON).encode(),
    }


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in _members().items():
            archive.writestr(name, data)
    return path


def _tar(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in _members().items():
            info = tarfile.TarInfo(f"./{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _folder(path: Path) -> Path:
    for name, data in _members().items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    return path


BUILDS = pytest.mark.parametrize("build", [_zip, _tar, _folder], ids=["zip", "tar.gz", "folder"])


class Sink:
    """Keeps what the one pass hands over, and in which order."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def __call__(self, name: str, stream: IO[bytes]) -> None:
        self.files[name] = stream.read()


@BUILDS
def test_archive_posts_and_what_was_skipped(build: Any, tmp_path: Path) -> None:
    archive = read_archive(build(tmp_path / "archive"))
    posts = archive.posts
    assert [p.ref.id for p in posts] == ["1", "2", "3", "4", "5", "8", "9"]
    first, second, reply, poll, boost, other_boost, own_boost = posts
    assert first.ref.account == archive.account == "me@example.social"
    assert first.text.text == "Post 1 #Cats"
    assert first.tags == ("Cats",)
    assert first.visibility is Visibility.PUBLIC
    assert first.langs == ("en",)
    assert second.content_warning == "cw"
    assert second.sensitive
    assert second.visibility is Visibility.FOLLOWERS
    image, video = second.media
    assert (image.kind, image.alt, image.local_path, image.size) == (
        MediaKind.IMAGE,
        "a cat",
        MEDIA,
        len(PNG),
    )
    assert video.local_path is None
    assert reply.kind is PostKind.REPLY
    assert reply.visibility is Visibility.UNLISTED
    assert reply.reply_to is not None
    assert reply.reply_to.id == "1"
    assert poll.unsupported[0].kind == "poll"
    assert "yes (3 votes)" in poll.unsupported[0].text
    assert boost.kind is other_boost.kind is own_boost.kind is PostKind.REPOST
    assert boost.repost_of is not None
    assert (boost.repost_of.platform, boost.repost_of.id) == (Platform.MASTODON, "77")
    assert other_boost.repost_of is not None
    assert other_boost.repost_of.id == "78"
    assert own_boost.repost_of is not None
    assert own_boost.repost_of.id == "2"
    assert own_boost.visibility is Visibility.FOLLOWERS
    assert first.raw["type"] == "Create"
    assert archive.skipped.counts == {
        "documents with keys given twice, the last value kept": 1,
        ABSENT: 1,
        "Announce activities without a boosted post or a date": 1,
        "Create activities without the post in them": 1,
        "outbox items not readable": 1,
        "outbox items that are not activities": 1,
        "Like activities (not posts)": 1,
        "bookmarks.json items that are not status URIs": 1,
    }
    lines = archive.skipped.lines()
    assert f"1 {ABSENT} (media_attachments/files/missing.mp4)" in lines
    assert "1 outbox items that are not activities (item 10)" in lines


@BUILDS
def test_boosts_likes_bookmarks_and_the_profile(build: Any, tmp_path: Path) -> None:
    archive = read_archive(build(tmp_path / "archive"))
    reposts = archive.collections[Collection.REPOSTS]
    # newest first, each by its boost's URI: the id the API's reposts listing gives it too
    assert [e.id for e in reposts] == [
        f"https://example.social/users/me/statuses/{n}/activity" for n in (9, 8, 5)
    ]
    assert [e.subject.id for e in reposts if e.subject] == ["2", "78", "77"]
    assert reposts[0].post is not None
    assert reposts[0].post.text.text.startswith("Post 2")
    assert reposts[1].post is None  # only its URI is in the archive
    likes = archive.collections[Collection.LIKES]
    assert [e.id for e in likes] == LIKED[::-1]
    assert likes[0].subject is not None
    assert (likes[0].subject.account, likes[0].subject.id) == ("bob@other.host", "2")
    bookmarks = archive.collections[Collection.BOOKMARKS]
    assert [e.id for e in bookmarks] == [f"{ACTOR}/statuses/1"]
    profile = archive.profile
    assert profile is not None
    assert (profile.id, profile.handle, profile.display_name) == (
        ACTOR,
        "me@example.social",
        "Me Myself",
    )
    assert profile.bio == "I post #cats"
    assert profile.bio_html == ACTOR_JSON["summary"]
    assert [(f.name, f.value) for f in profile.fields] == [
        ("Site", '<a href="https://me.example">me</a>')
    ]
    assert profile.url == "https://example.social/@me"
    assert profile.created_at is not None
    assert profile.created_at.year == 2022
    assert profile.avatar is not None
    assert profile.banner is not None
    assert (profile.avatar.local_path, profile.avatar.size, profile.avatar.url) == (
        "avatar.png",
        len(AVATAR),
        None,
    )
    assert (profile.banner.local_path, profile.banner.mime) == ("header.jpg", "image/jpeg")


@BUILDS
def test_every_media_file_goes_to_the_sink_once(build: Any, tmp_path: Path) -> None:
    sink = Sink()
    read_archive(build(tmp_path / "archive"), sink)
    assert sink.files == {MEDIA: PNG, "avatar.png": AVATAR, "header.jpg": HEADER}


def test_boost_ids_are_stable_and_distinct() -> None:
    first = {"id": f"{ACTOR}/statuses/5/activity", "object": "x"}
    numeric = {"id": "https://example.social/ap/users/1/statuses/6/activity", "object": "x"}
    odd = {"id": "https://example.social/boosts/a", "object": "x", "published": "2024"}
    no_id = {"object": "https://other.host/s/1", "published": "2024-01-01T00:00:00Z"}
    ids = [boost_id(a) for a in (first, numeric, odd, no_id)]
    assert ids[:2] == ["5", "6"]
    assert ids[2].startswith("announce-")
    assert ids[3].startswith("announce-")
    assert len(set(ids)) == 4
    assert boost_id(dict(no_id)) == ids[3]


def test_media_paths_of_local_storage_and_of_a_cdn_prefix(tmp_path: Path) -> None:
    note = _note(1, attachment=[
        {"type": "Document", "mediaType": "image/png", "url": "/" + MEDIA},
        {"type": "Document", "mediaType": "image/png",
         "url": "https://cdn.example/mastodon/media_attachments/files/9/9/9/original/b.png"},
    ])  # fmt: skip
    members = {
        # Local storage: BackupService names the file by its absolute path on the server.
        "/home/mastodon/live/public/system/" + MEDIA: PNG,
        "media_attachments/files/9/9/9/original/b.png": PNG + b"b",
        "outbox.json": json.dumps({"orderedItems": [_create(note)]}).encode(),
    }
    path = tmp_path / "a.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    (post,) = read_archive(path).posts
    assert [m.local_path for m in post.media] == [
        "home/mastodon/live/public/system/" + MEDIA,
        "media_attachments/files/9/9/9/original/b.png",
    ]


def test_a_zip_hands_over_only_what_is_named(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.zip")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("media_attachments/files/unrelated.png", PNG)
    sink = Sink()
    read_archive(path, sink)
    assert set(sink.files) == {MEDIA, "avatar.png", "header.jpg"}


def test_an_empty_folder_says_why_nothing_was_read(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"no readable outbox\.json nor actor\.json"):
        read_archive(tmp_path / "empty")
    (tmp_path / "empty" / "actor.json").write_text(json.dumps(ACTOR_JSON))
    archive = read_archive(tmp_path / "empty")
    assert archive.posts == []
    assert "1 outbox.json missing or not an object: no posts read" in archive.skipped.lines()


def test_a_folder_is_read_without_following_links(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "export")
    (tmp_path / "secret.png").write_bytes(b"secret")
    (folder / "media_attachments" / "link.png").symlink_to(tmp_path / "secret.png")
    sink = Sink()
    read_archive(folder, sink)
    assert "media_attachments/link.png" not in sink.files


def test_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("hello")
    with pytest.raises(DataError, match="not a readable Mastodon archive"):
        read_archive(path)


@BUILDS
def test_an_import_gives_the_progress_the_outboxs_item_count(build: Any, tmp_path: Path) -> None:
    from crosspost.backup.importer import import_export
    from crosspost.backup.store import BackupStore
    from crosspost.progress import RecordingProgress

    archive = build(tmp_path / "archive")
    progress = RecordingProgress()
    result = import_export(archive, BackupStore(tmp_path / "out"), progress)
    (total,) = [n for kind, task, n in progress.events if kind == "start" and task == "posts"]
    assert total is not None
    assert total >= result.new  # every outbox item, of which some are not posts
    assert progress.total_advanced("posts") <= total
