"""Bluesky records and views -> the common Post: the pure `to_post`, no network.

https://docs.bsky.app/docs/advanced-guides/posts (record: lexicons/app/bsky/feed/post.json)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crosspost.model import Post, PostKind, PostRef, RichText, SpanKind, Unsupported
from crosspost.platforms.bluesky.embeds import Context, read_embed
from crosspost.platforms.bluesky.marker import ORIGIN_FIELD, origin_from_marker
from crosspost.platforms.bluesky.refs import (
    EPOCH,
    POST_COLLECTION,
    REPOST_COLLECTION,
    SELF_LABELS,
    mapping,
    parse_time,
    ref_for,
    split_uri,
    strong_ref,
)
from crosspost.platforms.bluesky.richtext import (
    FACET_TYPE,
    LINK_TYPE,
    MENTION_TYPE,
    TAG_TYPE,
    richtext_from_facets,
)

_KNOWN_FEATURES = {LINK_TYPE, MENTION_TYPE, TAG_TYPE}


def to_post(
    native: Mapping[str, Any],
    *,
    account: str,
    uri: str | None = None,
    cid: str | None = None,
    service: str | None = None,
) -> Post:
    """A Post from any Bluesky shape: a bare record (give `uri` where known), a listRecords or
    getRecord item `{uri, cid, value}`, a post view, a feed view post or a thread view post.

    `account` names the account the post belongs to; `service` (the author's PDS) makes media
    URLs point at its sync.getBlob, else they point at Bluesky's CDN.
    """
    if "thread" in native and isinstance(native["thread"], Mapping):
        native = native["thread"]
    if isinstance(native.get("post"), Mapping):
        return _feed_item(native, account=account, service=service)
    view: Mapping[str, Any] = {}
    if isinstance(native.get("record"), Mapping) and "uri" in native:
        view, native = native, native["record"]
    elif isinstance(native.get("value"), Mapping) and "uri" in native:
        view, native = native, native["value"]
    uri = str(view.get("uri") or uri or "")
    cid = view.get("cid") or cid
    record_type = str(native.get("$type") or _collection_of(uri, native))
    if record_type == POST_COLLECTION:
        return _post(native, view, uri, cid, account=account, service=service)
    if record_type == REPOST_COLLECTION:
        return _repost(native, uri, cid, account=account)
    return _other(native, view, uri, cid, record_type, account=account)


def _collection_of(uri: str, record: Mapping[str, Any]) -> str:
    collection = split_uri(uri)[1]
    if collection:
        return collection
    return POST_COLLECTION if "text" in record and "createdAt" in record else ""


def _author_did(uri: str, view: Mapping[str, Any]) -> str:
    did = mapping(view.get("author")).get("did")
    return str(did) if isinstance(did, str) else split_uri(uri)[0]


def _own_ref(uri: str, cid: object, account: str) -> PostRef:
    return ref_for(uri, cid if isinstance(cid, str) else None, account=account, own=None)


def _created(record: Mapping[str, Any], view: Mapping[str, Any]) -> tuple[Any, list[Unsupported]]:
    created = parse_time(record.get("createdAt")) or parse_time(view.get("indexedAt"))
    if created is not None:
        return created, []
    bad = str(record.get("createdAt", ""))
    return EPOCH, [Unsupported("createdAt", f"no usable createdAt ({bad!r}); 1970 stands in")]


def _post(
    record: Mapping[str, Any],
    view: Mapping[str, Any],
    uri: str,
    cid: object,
    *,
    account: str,
    service: str | None,
) -> Post:
    did = _author_did(uri, view)
    text, unsupported = _text(record)
    created, problems = _created(record, view)
    parts = read_embed(record.get("embed"), view.get("embed"), Context(did, account, service))
    reply_to, root = _reply(record.get("reply"), account, did)
    labels = _labels(record, view, did)
    marker = origin_from_marker(record.get(ORIGIN_FIELD))
    cw = _content_warning(labels, record.get(ORIGIN_FIELD))
    kind = PostKind.REPLY if reply_to else PostKind.QUOTE if parts.quote_of else PostKind.ORIGINAL
    return Post(
        ref=_own_ref(uri, cid, account),
        created_at=created,
        text=text,
        kind=kind,
        media=tuple(parts.media),
        link_card=parts.link_card,
        quote_of=parts.quote_of,
        reply_to=reply_to,
        thread_root=root,
        trail=_trail(view.get("embed"), account, service),
        tags=_tags(text, record.get("tags")),
        content_warning=cw,
        sensitive=any(SELF_LABELS.get(label) for label in labels),
        labels=labels,
        langs=tuple(str(lang) for lang in record.get("langs") or () if isinstance(lang, str)),
        origin=marker,
        unsupported=tuple(problems + unsupported + parts.unsupported),
        raw=dict(view or record),
    )


def _text(record: Mapping[str, Any]) -> tuple[RichText, list[Unsupported]]:
    text = record.get("text")
    text = text if isinstance(text, str) else ""
    facets = record.get("facets")
    facets = [f for f in facets if isinstance(f, Mapping)] if isinstance(facets, list) else []
    if not facets:
        facets = _legacy_entities(record.get("entities"))
    unsupported = [
        Unsupported("facet", f"rich-text feature {kind} is not known to crosspost")
        for kind in sorted(_unknown_features(facets))
    ]
    return richtext_from_facets(text, facets), unsupported


def _legacy_entities(entities: object) -> list[Mapping[str, Any]]:
    """Facets for the `entities` that posts of early 2023 carried instead (same byte offsets)."""
    facets: list[Mapping[str, Any]] = []
    for entity in entities if isinstance(entities, list) else ():
        data, index = mapping(entity), mapping(mapping(entity).get("index"))
        kind, value = data.get("type"), data.get("value")
        feature = {"mention": (MENTION_TYPE, "did"), "link": (LINK_TYPE, "uri")}.get(str(kind))
        if feature is None or not isinstance(value, str):
            continue
        facets.append(
            {
                "index": {"byteStart": index.get("start"), "byteEnd": index.get("end")},
                "features": [{"$type": feature[0], feature[1]: value}],
            }
        )
    return facets


def _unknown_features(facets: Sequence[Mapping[str, Any]]) -> set[str]:
    found = set()
    for facet in facets:
        if facet.get("$type", FACET_TYPE) != FACET_TYPE:
            found.add(str(facet.get("$type")))
        for feature in facet.get("features") or ():
            kind = mapping(feature).get("$type")
            if kind not in _KNOWN_FEATURES:
                found.add(str(kind))
    return found


def _tags(text: RichText, field: object) -> tuple[str, ...]:
    tags = [span.value for span in text.spans_of(SpanKind.TAG)]
    if isinstance(field, list):
        tags += [tag for tag in field if isinstance(tag, str)]
    return tuple(dict.fromkeys(tags))


def _reply(reply: object, account: str, did: str) -> tuple[PostRef | None, PostRef | None]:
    data = mapping(reply)
    parent, root = strong_ref(data.get("parent")), strong_ref(data.get("root"))
    if parent is None:
        return None, None
    parent_ref = ref_for(*parent, account=account, own=did)
    root_ref = ref_for(*root, account=account, own=did) if root else parent_ref
    return parent_ref, root_ref


def _labels(record: Mapping[str, Any], view: Mapping[str, Any], did: str) -> tuple[str, ...]:
    values = mapping(record.get("labels")).get("values") or ()
    found = [str(mapping(v).get("val")) for v in values if mapping(v).get("val")]
    # In a view, labels whose source is the author are the self-labels again.
    for label in view.get("labels") or ():
        data = mapping(label)
        if data.get("src") == did and data.get("val") and not data.get("neg"):
            found.append(str(data["val"]))
    return tuple(dict.fromkeys(found))


def _content_warning(labels: tuple[str, ...], marker: object) -> str:
    written = mapping(marker).get("contentWarning")
    if isinstance(written, str) and written:
        return written
    words = [SELF_LABELS[label] for label in labels if SELF_LABELS.get(label)]
    return ", ".join(dict.fromkeys(words))


def _trail(view_embed: object, account: str, service: str | None) -> tuple[Post, ...]:
    """The quoted post as a view shows it (record#view or recordWithMedia#view)."""
    embed = mapping(view_embed)
    record = mapping(embed.get("record"))
    if "record" in record and "value" not in record:
        record = mapping(record.get("record"))
    if not isinstance(record.get("value"), Mapping) or not record.get("uri"):
        return ()
    view = {**record, "embed": next(iter(record.get("embeds") or ()), None)}
    return (to_post(view, account=account, service=service),)


def _repost(record: Mapping[str, Any], uri: str, cid: object, *, account: str) -> Post:
    subject = strong_ref(record.get("subject"))
    created, problems = _created(record, {})
    did = split_uri(uri)[0]
    return Post(
        ref=_own_ref(uri, cid, account),
        created_at=created,
        kind=PostKind.REPOST,
        repost_of=ref_for(*subject, account=account, own=did) if subject else None,
        unsupported=tuple(problems),
        raw=dict(record),
    )


def _feed_item(item: Mapping[str, Any], *, account: str, service: str | None) -> Post:
    """A feed view post or thread view post; a repost reason makes it a repost."""
    post = to_post(item["post"], account=account, service=service)
    reason = mapping(item.get("reason"))
    if not str(reason.get("$type", "")).endswith("#reasonRepost"):
        return post.with_changes(raw=dict(item))
    by = str(mapping(reason.get("by")).get("did", ""))
    uri = str(reason.get("uri") or "")
    return Post(
        ref=PostRef(post.ref.platform, account, uri or f"at://{by}/{REPOST_COLLECTION}/"),
        created_at=parse_time(reason.get("indexedAt")) or post.created_at,
        kind=PostKind.REPOST,
        repost_of=post.ref,
        trail=(post,),
        raw=dict(item),
    )


def _other(
    record: Mapping[str, Any],
    view: Mapping[str, Any],
    uri: str,
    cid: object,
    record_type: str,
    *,
    account: str,
) -> Post:
    created, _ = _created(record, view)
    what = record_type or "record without a $type"
    reason = f"a {what} record is not a post; crosspost carries posts and reposts"
    return Post(
        ref=_own_ref(uri, cid, account),
        created_at=created,
        unsupported=(Unsupported(what, reason),),
        raw=dict(view or record),
    )
