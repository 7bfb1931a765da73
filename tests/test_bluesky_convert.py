"""to_post over every Bluesky record and view shape in the shared fixtures, and built examples."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crosspost.model import MediaKind, Platform, PostKind, PostRef, RichText, SpanKind
from crosspost.platforms.base import Draft
from crosspost.platforms.bluesky.car import to_json
from crosspost.platforms.bluesky.marker import ORIGIN_FIELD
from crosspost.platforms.bluesky.read import to_post
from crosspost.platforms.bluesky.write import from_draft
from crosspost.platforms.spec import WriteContext
from tests.fixtures import fixture_params, fixture_path

DOCS = "bsky-docs/extracted/*.json"
MARSHALX = "marshalx-atproto/tests/test_atproto_client/models/test_data/*.json"
INDIGO = "bluesky-indigo/testing/testdata/*record*.json"
CBOR = "bluesky-indigo/testing/testdata/*.cbor"
NOT_RECORDS = {"did_doc.json", "get_follows.json", "resolve_handle.json"}


def load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def _record_of(data: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("thread", "post", "record", "value"):
        inner = data.get(key)
        if isinstance(inner, dict):
            return _record_of(inner) or inner
    return data if "$type" in data else None


@pytest.mark.parametrize(
    "path", fixture_params(DOCS) + fixture_params(MARSHALX) + fixture_params(INDIGO)
)
def test_every_fixture_shape_converts(path: Path) -> None:
    data = load(path)
    if path.name in NOT_RECORDS or data.get("$type") == "blob":
        pytest.skip("not a record or view (identity data or a bare blob)")
    post = to_post(data, account="me")
    assert post.ref.platform is Platform.BLUESKY
    assert post.raw
    record = _record_of(data) or {}
    if record.get("$type", "app.bsky.feed.post") == "app.bsky.feed.post" and "text" in record:
        assert post.text.text == record.get("text", "")
        assert not [u for u in post.unsupported if u.kind != "createdAt"], post.unsupported
        assert post.created_at.year >= 2022
    else:
        assert post.unsupported, "a record that is not a post must say so"
        assert "not a post" in post.unsupported[0].reason or "$type" in post.unsupported[0].kind


@pytest.mark.parametrize("path", fixture_params(CBOR))
def test_dag_cbor_records_convert(path: Path) -> None:
    from atproto_core.cbor import decode_dag

    record = to_json(decode_dag(path.read_bytes()))
    post = to_post(record, account="me", uri="at://did:plc:x/app.bsky.feed.post/3k2yihcrp6f2c")
    assert post.text.text == record["text"]
    assert not post.unsupported


def test_images_keep_alt_and_aspect_ratio() -> None:
    path = fixture_path("bsky-docs/extracted/advanced-guides_posts.md_L0394_images-embeds.json")
    post = to_post(load(path), account="me", uri="at://did:plc:abc/app.bsky.feed.post/3k")
    assert [(m.kind, m.alt, m.width, m.height, m.mime) for m in post.media] == [
        (MediaKind.IMAGE, "brief alt text description of the first image", 1280, 760, "image/webp"),
        (MediaKind.IMAGE, "brief alt text description of the second image", 500, 300, "image/png"),
    ]
    assert post.media[0].url is not None
    assert "bafkreibabalobzn6cd366ukcsjycp4yymjymgfxcv6xczmlgpemzkz3cfa" in post.media[0].url


def test_external_card() -> None:
    path = fixture_path(
        "bsky-docs/extracted/advanced-guides_posts.md_L0445_website-card-embeds.json"
    )
    post = to_post(load(path), account="me")
    assert post.link_card is not None
    assert post.link_card.url.startswith("https://bsky.app")
    assert post.link_card.title


def test_reply_and_quote() -> None:
    reply = to_post(
        load(fixture_path("bsky-docs/extracted/advanced-guides_posts.md_L0234_replies.json")),
        account="me",
    )
    assert reply.kind is PostKind.REPLY
    assert reply.reply_to is not None
    assert reply.thread_root is not None
    assert reply.reply_to.cid
    assert reply.thread_root.cid
    assert reply.reply_to == reply.thread_root  # a reply to the top of a thread
    quote = to_post(
        load(fixture_path("bsky-docs/extracted/advanced-guides_posts.md_L0307_quote-posts.json")),
        account="me",
    )
    assert quote.kind is PostKind.QUOTE
    assert quote.quote_of is not None
    assert quote.quote_of.cid


def test_facets_and_langs() -> None:
    path = fixture_path(
        "bsky-docs/extracted/advanced-guides_posts.md_L0108_mentions-and-links.json"
    )
    post = to_post(load(path), account="me")
    kinds = {span.kind for span in post.text.spans}
    assert kinds == {SpanKind.MENTION, SpanKind.LINK}
    mention = post.text.spans_of(SpanKind.MENTION)[0]
    assert mention.value.startswith("did:")
    assert post.text.covered(mention).startswith("@")
    langs = to_post(
        load(
            fixture_path(
                "bsky-docs/extracted/advanced-guides_posts.md_L0078_setting-the-language.json"
            )
        ),
        account="me",
    )
    assert langs.langs == ("th", "en-US")


def test_thread_view_with_record_with_media() -> None:
    path = fixture_path(
        "marshalx-atproto/tests/test_atproto_client/models/test_data/"
        "thread_view_post_with_embed_media.json"
    )
    post = to_post(load(path), account="python-sdk")
    assert post.kind is PostKind.QUOTE
    assert post.quote_of is not None
    assert post.quote_of.account == "python-sdk"
    assert len(post.media) == 1
    assert post.media[0].url is not None
    assert "feed_fullsize" in post.media[0].url
    assert [quoted.text.text for quoted in post.trail] == ["test"]
    assert post.langs == ("en",)


def test_legacy_entities_become_mentions() -> None:
    post = to_post(
        load(fixture_path("bluesky-indigo/testing/testdata/repo_slice_record.json")), account="me"
    )
    assert post.text.spans_of(SpanKind.MENTION)
    assert post.media[0].alt == "Sausage sandwich italian style"  # legacy blob ref {"cid": ...}


def test_non_posts_are_unsupported_with_a_reason() -> None:
    like = to_post(
        load(
            fixture_path(
                "marshalx-atproto/tests/test_atproto_client/models/test_data/like_record.json"
            )
        ),
        account="me",
    )
    assert like.unsupported[0].kind == "app.bsky.feed.like"
    assert "not a post" in like.unsupported[0].reason


BASE = {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2024-05-01T10:00:00.000Z"}
URI = "at://did:plc:me/app.bsky.feed.post/3kabc"


def test_video_self_labels_and_unknown_embed() -> None:
    blob = {"$type": "blob", "ref": {"$link": "bafkreivideo"}, "mimeType": "video/mp4", "size": 9}
    video = {
        **BASE,
        "embed": {
            "$type": "app.bsky.embed.video",
            "video": blob,
            "alt": "a cat",
            "aspectRatio": {"width": 16, "height": 9},
            "captions": [{"lang": "en", "file": blob}],
        },
        "labels": {"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": "nudity"}]},
    }
    post = to_post(video, account="me", uri=URI, service="http://pds.example")
    assert [(m.kind, m.alt, m.width, m.height) for m in post.media] == [
        (MediaKind.VIDEO, "a cat", 16, 9)
    ]
    assert post.media[0].url == (
        "http://pds.example/xrpc/com.atproto.sync.getBlob?did=did:plc:me&cid=bafkreivideo"
    )
    assert post.labels == ("nudity",)
    assert post.sensitive
    assert post.content_warning == "Nudity"
    assert [u.kind for u in post.unsupported] == ["captions"]
    odd = to_post({**BASE, "embed": {"$type": "app.bsky.embed.poll"}}, account="me", uri=URI)
    assert odd.unsupported[0].reason == "embed type app.bsky.embed.poll is not known to crosspost"
    feed = to_post(
        {
            **BASE,
            "embed": {
                "$type": "app.bsky.embed.record",
                "record": {"uri": "at://did:plc:x/app.bsky.feed.generator/hot", "cid": "bafy"},
            },
        },
        account="me",
        uri=URI,
    )
    assert feed.unsupported[0].kind == "embedded record"
    assert feed.quote_of is None


def test_repost_record() -> None:
    repost = {
        "$type": "app.bsky.feed.repost",
        "subject": {"uri": "at://did:plc:other/app.bsky.feed.post/3kx", "cid": "bafyx"},
        "createdAt": "2024-05-01T10:00:00Z",
    }
    post = to_post(repost, account="me", uri="at://did:plc:me/app.bsky.feed.repost/3ky")
    assert post.kind is PostKind.REPOST
    assert post.repost_of is not None
    assert post.repost_of.account == "did:plc:other"


def test_origin_marker_round_trip() -> None:
    origin = PostRef(
        Platform.MASTODON, "me@example.social", "1234", "https://example.social/@me/1234"
    )
    draft = Draft(
        text=RichText("mirrored"),
        idempotency_key="mastodon:1234->bluesky:0",
        origin=origin,
        content_warning="spoilers",
        created_at=datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    record = from_draft(draft, WriteContext(datetime(2030, 1, 1, tzinfo=UTC)))
    assert record[ORIGIN_FIELD]["key"] == draft.idempotency_key
    post = to_post(record, account="me", uri=URI)
    assert post.origin == origin
    assert post.content_warning == "spoilers"
    assert post.created_at == draft.created_at
