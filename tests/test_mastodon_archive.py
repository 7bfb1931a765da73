"""Import of a Mastodon account archive, built here from the documented layout.

No real archive is among the shared fixtures; this one follows Mastodon's BackupService layout
(outbox.json, actor.json, media under media_attachments/files/...).
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from crosspost.errors import DataError
from crosspost.model import MediaKind, Platform, PostKind, Visibility
from crosspost.platforms.mastodon.archive import read_archive

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
    {
        "id": f"{ACTOR}/statuses/5/activity",
        "type": "Announce",
        "published": "2024-05-02T00:00:00Z",
        "to": [PUBLIC],
        "object": "https://other.host/users/bob/statuses/77",
    },
    {"id": "broken", "type": "Create", "object": f"{ACTOR}/statuses/6"},
    {"id": "nodate", "type": "Create", "object": _note(7, published=None)},
    "not an activity",
    {"type": "Like", "object": "https://other.host/x"},
]
ACTOR_JSON = {"id": ACTOR, "type": "Person", "preferredUsername": "me"}
PNG = b"\x89PNG fake bytes"


def _outbox_bytes() -> bytes:
    outbox = {"type": "OrderedCollection", "orderedItems": OUTBOX_ITEMS}
    text = json.dumps(outbox)
    # Real archives have been seen with a key twice; the reader must cope.
    return text.replace(
        '"type": "OrderedCollection"', '"type": "x", "type": "OrderedCollection"'
    ).encode()


def _members() -> dict[str, bytes]:
    return {
        "outbox.json": _outbox_bytes(),
        "actor.json": json.dumps(ACTOR_JSON).encode(),
        MEDIA: PNG,
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


@pytest.mark.parametrize("build", [_zip, _tar], ids=["zip", "tar.gz"])
def test_archive_posts_and_what_was_skipped(build: Any, tmp_path: Path) -> None:
    posts, skipped = read_archive(build(tmp_path / "archive"))
    assert [p.ref.id for p in posts] == ["1", "2", "3", "4", "activity"]
    first, second, reply, poll, boost = posts
    assert first.ref.account == "me@example.social"
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
    assert boost.kind is PostKind.REPOST
    assert boost.repost_of is not None
    assert (boost.repost_of.platform, boost.repost_of.id) == (Platform.MASTODON, "77")
    assert first.raw["type"] == "Create"
    joined = "\n".join(skipped)
    assert "duplicated keys" in joined
    assert "missing.mp4 is not in the archive" in joined
    assert "Create without an embedded object" in joined
    assert "item 6" in joined
    assert "unreadable" in joined
    assert "item 7: not an activity" in joined
    assert "Like activities are not posts" in joined
    assert len(skipped) == 6


def test_unpacked_folder_and_missing_outbox(tmp_path: Path) -> None:
    for name, data in _members().items():
        target = tmp_path / "export" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    posts, _ = read_archive(tmp_path / "export")
    assert len(posts) == 5
    (tmp_path / "empty").mkdir()
    assert read_archive(tmp_path / "empty") == (
        [],
        ["outbox.json: missing or not an object; no posts read"],
    )


def test_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("hello")
    with pytest.raises(DataError, match="not a Mastodon archive"):
        read_archive(path)
