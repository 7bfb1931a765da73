"""What a quote becomes on each target, as the sync engine plans it (crosspost/sync/quotes.py):
the mirror of the quoted post, a wait while that mirror is on its way, or a link and a card."""

from __future__ import annotations

from crosspost.config import SyncRule
from crosspost.model import Platform, PostKind, PostRef, SpanKind
from crosspost.platforms.bluesky.refs import ref_from_url
from crosspost.sync import SyncEngine
from tests.fake_platform import World, make_config

KINDS = (PostKind.ORIGINAL, PostKind.QUOTE, PostKind.REBLOG_WITH_COMMENT)
RULE = SyncRule(name="out", source="art", targets=("sky", "masto"), kinds=KINDS)


def engine(world: World) -> SyncEngine:
    return SyncEngine(make_config(RULE), world.store, world.client, clock=world.network.clock)


def test_a_tumblr_reblog_of_a_mirrored_post_quotes_its_mirrors() -> None:
    world = World()
    own = world.add("art", "the walk I wrote about")
    assert engine(world).run().published == 2
    reblog = world.add("art", "still true a year on", minutes=5).with_changes(
        kind=PostKind.REBLOG_WITH_COMMENT, repost_of=own.ref, trail=(own,)
    )
    sync = engine(world)
    for target in ("sky", "masto"):
        (mirror,) = [e.target_ref for e in world.store.entries(own.ref.key, target)]
        draft = sync.context.plan(RULE, reblog, target).drafts[0]
        assert draft.quote_of == mirror
        assert draft.text.text == "still true a year on"


def test_a_reblog_of_a_post_not_mirrored_links_it_and_describes_it() -> None:
    world = World()
    theirs = world.add("art", "someone else's walk").with_changes(
        ref=PostRef(Platform.TUMBLR, "carol", "77", "https://carol.tumblr.com/post/77")
    )
    reblog = world.add("art", "agreed", minutes=5).with_changes(
        kind=PostKind.REBLOG_WITH_COMMENT, repost_of=theirs.ref, trail=(theirs,)
    )
    draft = engine(world).context.plan(RULE, reblog, "sky").drafts[0]
    assert draft.quote_of is None
    assert draft.text.text == "agreed\n\nRE: carol.tumblr.com/post/77"  # as Bluesky shows it
    (link,) = draft.text.spans_of(SpanKind.LINK)
    assert link.value == "https://carol.tumblr.com/post/77"
    assert draft.link_card is not None
    assert draft.link_card.description == "someone else's walk"
    assert draft.link_card.title == "carol on Tumblr"


def test_a_quote_waits_while_the_quoted_posts_mirror_is_on_its_way() -> None:
    world = World()
    own = world.add("art", "first")
    quote = world.add("art", "second", minutes=5).with_changes(
        kind=PostKind.QUOTE, quote_of=own.ref
    )
    sync = engine(world)
    sync.state.save_source(own, RULE.name)
    sync.state.record_intents(own.ref.key, "sky", 1, RULE.name)
    planned = sync.context.quote(quote, "sky")
    assert planned.waiting == f"waiting for the post it quotes ({own.ref.key}) on sky"
    assert planned.ref is not None  # planned as a quote, so its chunks do not change


def test_bluesky_post_urls_and_bridgy_fed_copies_name_the_post() -> None:
    uri = "at://did:plc:c6rolxh5ysg2fqzu4tmbwn3a/app.bsky.feed.post/3kpn2abcdex2f"
    for url in (
        "https://bsky.app/profile/did:plc:c6rolxh5ysg2fqzu4tmbwn3a/post/3kpn2abcdex2f",
        f"https://bsky.brid.gy/convert/ap/{uri}",
        "https://fed.brid.gy/r/https://bsky.app/profile/did:plc:c6rolxh5ysg2fqzu4tmbwn3a/post/3kpn2abcdex2f",
    ):
        found = ref_from_url(url)
        assert found is not None, url
        assert found.id == uri
    handle = ref_from_url("https://bsky.app/profile/carol.bsky.social/post/3kq")
    assert handle is not None
    assert handle.id == "at://carol.bsky.social/app.bsky.feed.post/3kq"
    assert ref_from_url("https://mastodon.example/@bob/1") is None
    assert ref_from_url("https://bsky.app/profile/carol.bsky.social") is None
