"""Bluesky adapter pieces without a server: records from drafts, TIDs, CAR import, identity,
image re-encoding, and rate-limit handling over a mock transport."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from crosspost.accounts import Account
from crosspost.errors import DataError, InvalidPostError, PlatformError, RateLimitedError
from crosspost.model import LinkCard, Media, MediaKind, Platform, PostKind, PostRef, RichText
from crosspost.platforms.base import Draft, RetryPolicy
from crosspost.platforms.bluesky.car import read_car, read_records
from crosspost.platforms.bluesky.client import BlueskyClient
from crosspost.platforms.bluesky.identity import (
    Identity,
    pds_of_document,
    resolve_identity,
    resolve_pds,
)
from crosspost.platforms.bluesky.media import prepare_image
from crosspost.platforms.bluesky.richtext import detect_spans
from crosspost.platforms.bluesky.tid import decode_tid, is_tid, tid_from_key
from crosspost.platforms.bluesky.write import from_draft
from crosspost.platforms.spec import WriteContext
from tests.fixtures import fixture_params, fixture_path

NOW = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
PARENT = PostRef(Platform.BLUESKY, "me", "at://did:plc:me/app.bsky.feed.post/3kparent", cid="bafyp")
ROOT = PostRef(Platform.BLUESKY, "me", "at://did:plc:me/app.bsky.feed.post/3kroot", cid="bafyr")
BLOB = {"$type": "blob", "ref": {"$link": "bafkreiimg"}, "mimeType": "image/jpeg", "size": 10}


# --- from_draft ----------------------------------------------------------------------------------


def test_record_with_facets_reply_images_and_label() -> None:
    draft = Draft(
        text=detect_spans("see https://example.com #art"),
        idempotency_key="k",
        media=(Media(MediaKind.IMAGE, alt="a fox", width=1200, height=800),),
        reply_to=PARENT,
        thread_root=ROOT,
        content_warning="NSFW: nude fox",
        tags=("art", "foxes"),
        langs=("en",),
    )
    record = from_draft(draft, WriteContext(NOW, uploads=(BLOB,)))
    assert record["createdAt"] == "2025-01-02T03:04:05.678Z"
    assert {f["features"][0]["$type"] for f in record["facets"]} == {
        "app.bsky.richtext.facet#link",
        "app.bsky.richtext.facet#tag",
    }
    assert record["reply"] == {
        "root": {"uri": ROOT.id, "cid": "bafyr"},
        "parent": {"uri": PARENT.id, "cid": "bafyp"},
    }
    assert record["embed"]["images"] == [
        {"image": BLOB, "alt": "a fox", "aspectRatio": {"width": 1200, "height": 800}}
    ]
    assert record["tags"] == ["foxes"]  # "art" is already a tag in the text
    assert [v["val"] for v in record["labels"]["values"]] == ["porn", "nudity"]
    assert "dev.crosspost.origin" not in record  # no origin: not a mirror


def test_record_external_quote_with_media_and_dates() -> None:
    card = LinkCard("https://example.com", "Example", "An example")
    kept = datetime(2019, 6, 1, tzinfo=UTC)
    external = from_draft(
        Draft(RichText("x"), "k", link_card=card, created_at=kept), WriteContext(NOW)
    )
    assert external["embed"]["external"] == {
        "uri": "https://example.com",
        "title": "Example",
        "description": "An example",
    }
    assert external["createdAt"] == "2019-06-01T00:00:00.000Z"
    both = from_draft(
        Draft(RichText("q"), "k", quote_of=PARENT, media=(Media(MediaKind.IMAGE),)),
        WriteContext(NOW, uploads=(BLOB,)),
    )
    assert both["embed"]["$type"] == "app.bsky.embed.recordWithMedia"
    assert both["embed"]["record"]["record"] == {"uri": PARENT.id, "cid": "bafyp"}


def test_record_refuses_what_bluesky_cannot_take() -> None:
    with pytest.raises(InvalidPostError, match="audio"):
        from_draft(
            Draft(RichText("x"), "k", media=(Media(MediaKind.AUDIO),)),
            WriteContext(NOW, uploads=(BLOB,)),
        )
    no_cid = PostRef(Platform.BLUESKY, "me", PARENT.id)
    with pytest.raises(InvalidPostError, match="no CID"):
        from_draft(Draft(RichText("x"), "k", reply_to=no_cid), WriteContext(NOW))
    with pytest.raises(InvalidPostError, match="uploaded blobs"):
        from_draft(Draft(RichText("x"), "k", media=(Media(MediaKind.IMAGE),)), WriteContext(NOW))


def test_sensitive_without_words_gets_the_fallback_label() -> None:
    record = from_draft(Draft(RichText("x"), "k", sensitive=True), WriteContext(NOW))
    assert record["labels"]["values"] == [{"val": "graphic-media"}]
    plain = from_draft(Draft(RichText("x"), "k", content_warning="spoilers"), WriteContext(NOW))
    assert "labels" not in plain


# --- TIDs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["valid", "invalid"])
def test_tid_syntax_matches_the_interop_fixtures(name: str) -> None:
    path = fixture_path(f"atproto-interop-tests/syntax/tid_syntax_{name}.txt")
    values = [v for v in path.read_text().splitlines() if v.strip() and not v.startswith("#")]
    assert values
    assert all(is_tid(v) is (name == "valid") for v in values)


@given(st.text(min_size=1, max_size=200), st.none() | st.datetimes(timezones=st.just(UTC)))
def test_tid_from_key_is_valid_and_deterministic(key: str, when: datetime | None) -> None:
    tid = tid_from_key(key, when)
    assert is_tid(tid)
    assert tid == tid_from_key(key, when)


def test_tid_sits_near_the_kept_date_and_in_the_past_otherwise() -> None:
    when = datetime(2021, 3, 4, tzinfo=UTC)
    micros, _ = decode_tid(tid_from_key("a", when))
    assert abs(micros / 1e6 - when.timestamp()) < 2
    assert tid_from_key("chunk 0", when) != tid_from_key("chunk 1", when)
    micros, _ = decode_tid(tid_from_key("a"))
    assert micros / 1e6 < datetime(2025, 1, 1, tzinfo=UTC).timestamp()


def offline_client() -> BlueskyClient:
    account = Account("a", Platform.BLUESKY, "did:plc:me", service="http://pds.invalid")
    return BlueskyClient(account, identity=Identity("did:plc:me", "http://pds.invalid"))


def test_record_key_time_comes_from_created_at_then_key_time_then_the_hash() -> None:
    client = offline_client()
    source_date = datetime(2026, 11, 1, 12, tzinfo=UTC)
    kept = datetime(2019, 6, 1, tzinfo=UTC)
    both = Draft(RichText("x"), "k", created_at=kept, key_time=source_date)
    micros, _ = decode_tid(client.rkey_for(both))
    assert abs(micros / 1e6 - kept.timestamp()) < 0.001  # a migration lists in date order
    assert client.rkey_for(both) == client.rkey_for(both)  # a retry finds the same key
    micros, _ = decode_tid(client.rkey_for(Draft(RichText("x"), "k", key_time=source_date)))
    assert abs(micros / 1e6 - source_date.timestamp()) < 0.001
    assert client.rkey_for(Draft(RichText("x"), "k")) == tid_from_key("k")


def test_sync_mirrors_keys_sort_by_their_sources_dates_above_migrated_posts() -> None:
    client = offline_client()
    earlier = Draft(RichText("new"), "a", key_time=datetime(2026, 1, 1, tzinfo=UTC))
    later = Draft(RichText("newer"), "b", key_time=datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC))
    migrated = Draft(
        RichText("migrated"),
        "c",
        created_at=datetime(2012, 1, 1, tzinfo=UTC),
        key_time=datetime(2026, 1, 2, tzinfo=UTC),
    )
    # listRecords answers newest key first: a backup stopping near its newest saved post sees
    # the mirrors of recent sources first; migrated posts sit among the old ones.
    assert client.rkey_for(migrated) < client.rkey_for(earlier) < client.rkey_for(later)
    chunks = [Draft(RichText(str(n)), f"t:{n}", key_time=later.key_time) for n in range(3)]
    assert len({client.rkey_for(chunk) for chunk in chunks}) == 3


# --- CAR import ----------------------------------------------------------------------------------

CAR_COUNTS = {
    "fakermaker.repo.car": (26, 15),
    "bafyreieovfuizojpw3zresz7sx3nk4trm2by23pt5rxbey3jme4uo5ogiu.car": (5, 0),
    "repo_slice.car": (1, 0),
    "greenground.repo.car": (0, 0),
}


@pytest.mark.parametrize("path", fixture_params("bluesky-indigo/testing/testdata/*.car"))
def test_car_import(path: Path) -> None:
    posts = list(read_car(path))
    originals = [p for p in posts if p.kind is not PostKind.REPOST]
    reposts = [p for p in posts if p.kind is PostKind.REPOST]
    assert (len(originals), len(reposts)) == CAR_COUNTS[path.name]
    assert all(p.ref.id.startswith("at://did:") for p in posts)
    assert all(not p.unsupported for p in posts)
    keys = [p.ref.id for p in posts if p.kind is not PostKind.REPOST]
    assert keys == sorted(keys)  # MST order: by record key


def test_car_records_cover_every_collection() -> None:
    path = fixture_path("bluesky-indigo/testing/testdata/fakermaker.repo.car")
    collections = {key.partition("/")[0] for key, _ in read_records(path)}
    assert {"app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.graph.follow"} <= collections


def test_car_import_of_a_non_car_is_a_data_error(tmp_path: Path) -> None:
    bad = tmp_path / "repo.car"
    bad.write_bytes(b"not a car")
    with pytest.raises(DataError):
        list(read_car(bad))


# --- identity ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", fixture_params("bluesky-indigo/**/*did*oc*.json"))
def test_pds_endpoint_from_did_documents(path: Path) -> None:
    doc = json.loads(path.read_text())
    if path.name == "did_web_doc.json":  # a feed generator's document: it names no PDS
        assert pds_of_document(doc) is None
    else:
        assert (pds_of_document(doc) or "").startswith("http")


def test_resolve_identity_through_the_did_document() -> None:
    doc = json.loads(
        fixture_path("bluesky-indigo/atproto/identity/testdata/did_plc_doc.json").read_text()
    )
    seen: list[str] = []

    def pds_of(did: str) -> str | None:
        seen.append(did)
        return pds_of_document(doc)

    account = Account("a", Platform.BLUESKY, "alice.example.com")
    found = resolve_identity(account, pds_of=pds_of, resolve_handle=lambda h: doc["id"])
    assert found == Identity(doc["id"], pds_of_document(doc) or "")
    assert seen == [doc["id"]]
    local = Account("b", Platform.BLUESKY, "bob.test", service="http://localhost:1/")
    found = resolve_identity(local, fetch=lambda url, params: {"did": "did:plc:bob"})
    assert found == Identity("did:plc:bob", "http://localhost:1")


def test_a_did_the_resolver_cannot_read_is_one_clear_error() -> None:
    with pytest.raises(PlatformError, match="only did:plc and did:web"):
        resolve_pds("did:example:123")
    # Nothing listens on port 9 of loopback: the directory cannot be reached.
    with pytest.raises(PlatformError, match="cannot read the DID document of did:plc:abc"):
        resolve_pds("did:plc:abc", plc="http://127.0.0.1:9", timeout=2)


# --- media ---------------------------------------------------------------------------------------


def _png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 90).convert(mode).save(out, "PNG")
    return out.getvalue()


def test_large_images_are_reencoded_keeping_their_shape() -> None:
    data = _png((1500, 1000))
    prepared = prepare_image(data, 300_000)
    assert prepared.reencoded
    assert prepared.mime == "image/jpeg"
    assert len(prepared.data) <= 300_000
    assert abs(prepared.width / prepared.height - 1.5) < 0.01
    alpha = prepare_image(_png((600, 400), "RGBA"), 100_000)
    assert alpha.mime == "image/webp"
    small = prepare_image(_png((10, 10)), 2_000_000)
    assert not small.reencoded
    assert small.mime == "image/png"


# --- rate limits over a mock transport -----------------------------------------------------------


def test_429_waits_with_the_injected_sleeper_then_gives_up() -> None:
    answers = [
        httpx.Response(
            429, headers={"ratelimit-reset": "1000030"}, json={"error": "RateLimitExceeded"}
        ),
        httpx.Response(200, json={"records": [], "cursor": None}),
    ]
    slept: list[float] = []
    retry = RetryPolicy(sleep=slept.append, clock=lambda: 1_000_000.0)
    client = BlueskyClient(
        Account("a", Platform.BLUESKY, "did:plc:me", service="http://pds.invalid"),
        identity=Identity("did:plc:me", "http://pds.invalid"),
        retry=retry,
        transport=httpx.MockTransport(lambda request: answers.pop(0)),
    )
    assert client.fetch_page().posts == ()
    assert slept == [30.0]
    answers[:] = [httpx.Response(429, headers={"retry-after": "3600"}, json={"error": "x"})]
    with pytest.raises(RateLimitedError) as caught:
        client.fetch_page()
    assert caught.value.retry_after == 3600


def test_a_failing_gateway_is_retried_then_reported_not_as_a_rate_limit() -> None:
    answers = [httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"records": []})]
    slept: list[float] = []
    client = BlueskyClient(
        Account("a", Platform.BLUESKY, "did:plc:me", service="http://pds.invalid"),
        identity=Identity("did:plc:me", "http://pds.invalid"),
        retry=RetryPolicy(sleep=slept.append, clock=lambda: 1_000_000.0),
        transport=httpx.MockTransport(lambda request: answers.pop(0)),
    )
    assert client.fetch_page().posts == ()
    assert slept == [1.0, 2.0]
    answers[:] = [httpx.Response(502)] * 4
    with pytest.raises(PlatformError) as caught:
        client.fetch_page()
    assert not isinstance(caught.value, RateLimitedError)
    assert str(caught.value).startswith(
        "list posts: the server answered 502 Bad Gateway 4 times; try again later"
    )
    assert client.xrpc.total_calls == 3 + 4
