"""A backup of whole accounts for the viewer's tests, written with the real store API: profiles
(with an earlier one), collections of every kind, an edited post, a reblog with an undated trail
item and a link card whose thumbnail is stored.

The Bluesky account's posts were saved under its DID (as backups made before folders were named
by handle were): the profile is what turns `did:plc:alice` into `@alice.bsky.social` on a page.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from crosspost.account_data import Collection, Entry, Person, Profile, ProfileField
from crosspost.backup.account_files import load_collection, save_collection, save_profile
from crosspost.backup.store import AccountBackup, BackupStore, post_document
from crosspost.model import (
    LinkCard,
    Media,
    MediaKind,
    Platform,
    Post,
    PostKind,
    PostRef,
    RichText,
)
from crosspost.progress import RecordingProgress
from crosspost.view import render_site
from crosspost.view.pages import CSP
from tests.fixtures import fixture_path
from tests.test_view_render import post_page
from tests.test_view_sample import T0, png, store_media

ALICE_DID = "did:plc:alice"
BOB_DID = "did:plc:bob"
CAROL_DID = "did:plc:carol"  # never named with a handle anywhere: stays a DID
DAN_DID = "did:plc:dan"
ALICE = "alice.bsky.social"
MASTO = "alice@mastodon.social"
TUMBLR = "alice"
LIKES = 250  # more than two pages of a hundred


def bsky(rkey: str, did: str = ALICE_DID) -> PostRef:
    return PostRef(
        Platform.BLUESKY,
        did,
        f"at://{did}/app.bsky.feed.post/{rkey}",
        f"https://bsky.app/profile/{did}/post/{rkey}",
    )


def image(backup: AccountBackup, root: Path, color: tuple[int, int, int], alt: str = "") -> Media:
    sha, local = store_media(backup, root, png(color, (40, 40)), "png")
    url = f"https://cdn.example/{sha[:8]}.png"
    return Media(MediaKind.IMAGE, url, alt, 40, 40, "image/png", sha256=sha, local_path=local)


def bluesky_account(root: Path) -> AccountBackup:
    store = BackupStore(root)
    backup = store.account(Platform.BLUESKY, ALICE)
    backup.write_manifest({"stable_id": ALICE_DID, "handle": ALICE})
    old_avatar = image(backup, root, (10, 200, 10), "avatar")
    avatar = image(backup, root, (20, 90, 200), "avatar")
    banner = image(backup, root, (250, 200, 0), "banner")
    first = Profile(
        Platform.BLUESKY, ALICE_DID, ALICE, "Alice Old", bio="Old bio", avatar=old_avatar
    )
    save_profile(backup, first, T0)
    profile = Profile(
        Platform.BLUESKY,
        ALICE_DID,
        ALICE,
        display_name="Alice Painter",
        bio="I paint.\nMostly cats.",
        avatar=avatar,
        banner=banner,
        url=f"https://bsky.app/profile/{ALICE}",
        created_at=T0 - timedelta(days=400),
        counts={"posts": 3, "followers": 2},
    )
    save_profile(backup, profile, T0 + timedelta(days=30))
    _bluesky_posts(backup, root)
    _bluesky_collections(backup, root)
    return backup


def _bluesky_posts(backup: AccountBackup, root: Path) -> None:
    thumb = image(backup, root, (120, 0, 120))
    card = LinkCard(
        "https://example.org/a",
        "Card title",
        "About it",
        thumb_url="https://cdn.example/thumb.jpg",
        thumb_local_path=thumb.local_path,
        thumb_sha256=thumb.sha256,
    )
    bob_post = Post(bsky("3bob", BOB_DID), T0, RichText("Bob's words"))
    posts = [
        Post(bsky("3kaaa"), T0, RichText("My first post"), link_card=card),
        Post(
            bsky("3kbbb"),
            T0 + timedelta(hours=1),
            RichText("Look at Bob's"),
            kind=PostKind.QUOTE,
            quote_of=bob_post.ref,
            trail=(bob_post,),
        ),
        Post(
            bsky("3kccc"),
            T0 + timedelta(hours=2),
            RichText("Replying to Carol"),
            kind=PostKind.REPLY,
            reply_to=bsky("3car", CAROL_DID),
        ),
    ]
    for post in posts:
        backup.save_post(post)
    # An edit: the first save is kept under versions/ when the second says something else.
    edited = Post(bsky("3kedit"), T0 + timedelta(hours=3), RichText("Frist draft"))
    backup.save_post(edited)
    backup.save_post(
        edited.with_changes(
            text=RichText("First draft, spelt right"), edited_at=T0 + timedelta(hours=4)
        )
    )


def _bluesky_collections(backup: AccountBackup, root: Path) -> None:
    liked_image = image(backup, root, (200, 40, 40), "a liked picture")
    likes = [
        Entry(
            f"like{n:03d}",
            T0 + timedelta(minutes=n),
            subject=bsky(f"3l{n:03d}", BOB_DID),
            post=Post(
                bsky(f"3l{n:03d}", BOB_DID),
                T0,
                RichText(f"liked post {n}"),
                media=(liked_image,) if n == LIKES - 1 else (),
            ),
        )
        for n in range(LIKES)
    ][::-1]  # newest first
    unread = Entry("unread", T0 + timedelta(days=9), subject=bsky("3gone", CAROL_DID))
    save_collection(backup, Collection.LIKES, [unread, *likes], T0, complete=True)
    people = {
        Collection.FOLLOWING: [
            Entry("f1", T0, person=Person(BOB_DID)),
            Entry("f2", T0, person=Person(CAROL_DID)),
        ],
        Collection.FOLLOWERS: [
            Entry("b", T0, person=Person(BOB_DID, "bob.bsky.social", "Bob")),
            Entry("d", T0, person=Person(DAN_DID, "dan.bsky.social")),
        ],
        Collection.BLOCKS: [Entry("k", T0, person=Person(DAN_DID))],
        Collection.MUTES: [Entry("m", T0, person=Person(CAROL_DID))],
        Collection.LISTS: [
            Entry(
                "l1",
                T0,
                name="Painters",
                description="People who paint",
                members=(Person(BOB_DID), Person(ALICE_DID)),
            )
        ],
    }
    for kind, entries in people.items():
        save_collection(backup, kind, entries, T0, complete=kind is not Collection.BLOCKS)


def mastodon_account(root: Path) -> AccountBackup:
    backup = BackupStore(root).account(Platform.MASTODON, MASTO)
    profile = Profile(
        Platform.MASTODON,
        "https://mastodon.social/users/alice",
        MASTO,
        display_name="Alice on Mastodon",
        bio="Hello #art",
        bio_html='<p>Hello <a href="https://mastodon.social/tags/art">#art</a></p>',
        fields=(
            ProfileField(
                "site",
                '<a href="https://alice.example" rel="me">alice.example</a>',
                verified_at=T0,
            ),
        ),
    )
    save_profile(backup, profile, T0)
    ref = PostRef(Platform.MASTODON, MASTO, "1", "https://mastodon.social/@alice/1")
    backup.save_post(Post(ref, T0 + timedelta(days=1), RichText("A toot")))
    bookmarked = Post(
        PostRef(Platform.MASTODON, "erin@example.social", "9", "https://example.social/@erin/9"),
        T0,
        RichText("Erin's toot"),
    )
    save_collection(
        backup,
        Collection.BOOKMARKS,
        [Entry("9", T0, subject=bookmarked.ref, post=bookmarked)],
        T0,
        complete=True,
    )
    return backup


def tumblr_account(root: Path) -> AccountBackup:
    backup = BackupStore(root).account(Platform.TUMBLR, TUMBLR)
    profile = Profile(
        Platform.TUMBLR,
        "t:uuid-alice",
        TUMBLR,
        display_name="Alice's blog",
        title="Alice's blog",
        bio_html="Cats and paint",
        theme={
            "background_color": "#FAFAFA",
            "title_color": "#444444",
            "header_image": "https://64.media.tumblr.com/h.png",
            "show_title": True,
        },
    )
    save_profile(backup, profile, T0)
    trail_image = image(backup, root, (0, 0, 0), "trail picture")
    original = Post(
        PostRef(Platform.TUMBLR, "dave", "444", "https://dave.tumblr.com/post/444"),
        T0 + timedelta(days=60),  # only the latest it can be: the reblog's date
        RichText("dave's original"),
        media=(trail_image,),
        undated=True,
    )
    reblog = Post(
        PostRef(Platform.TUMBLR, TUMBLR, "555", "https://alice.tumblr.com/post/555"),
        T0 + timedelta(days=60),
        RichText("my comment"),
        kind=PostKind.REBLOG_WITH_COMMENT,
        trail=(original,),
    )
    backup.save_post(reblog)
    return backup


def build_accounts(root: Path) -> dict[str, AccountBackup]:
    return {
        "bluesky": bluesky_account(root),
        "mastodon": mastodon_account(root),
        "tumblr": tumblr_account(root),
    }


# --- the tests ------------------------------------------------------------------------------


def rendered(tmp_path: Path) -> Path:
    build_accounts(tmp_path / "backup")
    render_site(tmp_path / "backup", tmp_path / "site")
    return tmp_path / "site"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return rendered(tmp_path)


def read(site: Path, relative: str) -> str:
    return (site / relative).read_text(encoding="utf-8")


def main_of(html: str) -> str:
    return html.split("<main>")[1].split("</main>")[0]


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", main_of(html))


def test_posts_name_known_accounts_by_handle_never_by_did(site: Path) -> None:
    index = read(site, "index.html")
    text = visible_text(index)
    assert ALICE_DID not in text
    assert BOB_DID not in text
    assert text.count(f"@{ALICE}") >= 4  # every post of hers, saved under her DID
    assert "@bob.bsky.social" in text  # the quoted post's author, named by the followers list
    assert CAROL_DID in text  # nobody in the backup names Carol: her DID is all there is
    assert f"{ALICE} (Bluesky)" in index  # the index names the account by its handle


def test_the_owners_avatar_heads_her_posts_and_links_to_her_page(site: Path) -> None:
    index = read(site, "index.html")
    avatars = re.findall(r'<img class="avatar" src="(media/[^"]+)"', index)
    assert len(avatars) >= 4
    assert len(set(avatars)) == 1
    assert (site / avatars[0]).is_file()
    assert (
        '<a class="who" href="accounts/bluesky-alice.bsky.social.html">@alice.bsky.social</a>'
        in index
    )
    assert 'href="accounts.html">Accounts</a>' in index


def test_the_profile_page_shows_pictures_bio_counts_and_collections(site: Path) -> None:
    html = read(site, "accounts/bluesky-alice.bsky.social.html")
    main = main_of(html)
    assert "<h1>Alice Painter</h1>" in main
    assert f'<span class="who">@{ALICE}</span>' in main
    assert f'<code class="id">{ALICE_DID}</code>' in main  # the DID beside the handle
    for css in ("banner", "avatar large"):
        (src,) = re.findall(rf'<img class="{css}" src="([^"]+)"', main)
        assert src.startswith("../media/")
        assert (site / "accounts" / src).resolve().is_file()
    assert "I paint." in main
    assert "Mostly cats." in main
    assert "<li>2 followers</li>" in main
    assert "On Bluesky since 2023-01-26" in main
    for kind, count in (("likes", LIKES + 1), ("following", 2), ("followers", 2), ("lists", 1)):
        assert f'<a href="../accounts/bluesky-alice.bsky.social/{kind}.html">' in main
        assert f"({count:,})" in main
    assert "not read to the end" in main  # the blocks list stopped early


def test_earlier_profiles_say_what_changed(site: Path) -> None:
    main = main_of(read(site, "accounts/bluesky-alice.bsky.social.html"))
    assert "Profile changed between 2024-03-01 and 2024-03-31:" in main
    assert (
        '<span class="before">Alice Old</span> → <span class="after">Alice Painter</span>' in main
    )
    assert "<strong>bio</strong>" in main
    avatar = main.split("<strong>avatar</strong>")[1].split("</li>")[0]
    before, after = re.findall(r'<img class="avatar" src="([^"]+)" alt="(?:before|after)"', avatar)
    assert before != after
    assert (site / "accounts" / before).resolve().is_file()
    assert "<strong>banner</strong>: none" in main


def test_likes_are_cards_of_the_saved_posts_a_hundred_a_page(site: Path) -> None:
    folder = site / "accounts" / "bluesky-alice.bsky.social"
    assert sorted(p.name for p in folder.glob("likes*.html")) == [
        "likes.1.html",
        "likes.2.html",
        "likes.html",
    ]
    first = read(site, "accounts/bluesky-alice.bsky.social/likes.html")
    assert "the newest 100 of 251 posts" in first
    assert first.count('<article class="post') == 100
    assert 'A post by <a href="https://bsky.app/profile/did:plc:carol/post/3gone"' in first
    assert "(its content was not read)" in first
    (src,) = re.findall(r'<img src="([^"]+)" alt="a liked picture"', first)
    assert src.startswith("../../media/")
    assert (folder / src).resolve().is_file()
    assert "@bob.bsky.social" in first
    assert 'href="likes.2.html">Older' in first
    oldest = read(site, "accounts/bluesky-alice.bsky.social/likes.1.html")
    assert "liked post 0<" in oldest


def test_people_link_to_their_profiles_by_handle(site: Path) -> None:
    following = main_of(read(site, "accounts/bluesky-alice.bsky.social/following.html"))
    assert '<a class="who" href="https://bsky.app/profile/did:plc:bob"' in following
    assert ">@bob.bsky.social</a>" in following
    assert ">did:plc:carol</a>" in following  # unknown: what the backup has
    lists = main_of(read(site, "accounts/bluesky-alice.bsky.social/lists.html"))
    assert "<h2>Painters</h2>" in lists
    assert "People who paint" in lists
    assert '<a class="who" href="../../accounts/bluesky-alice.bsky.social.html">@alice' in lists
    assert "2 members" in lists
    blocks = main_of(read(site, "accounts/bluesky-alice.bsky.social/blocks.html"))
    assert "@dan.bsky.social" in blocks
    assert "stopped before the end" in blocks


def test_an_edited_post_shows_its_earlier_versions(site: Path) -> None:
    html = post_page(site, "First draft, spelt right")
    assert '<span class="badge">edited</span>' in html
    versions = html.split('<section class="versions" id="versions">')[1]
    assert "Frist draft" in versions
    assert "current from 2024-03-01 15:00 UTC" in versions
    assert "First draft, spelt right" not in versions


def test_versions_from_an_edit_history_are_shown_oldest_first(tmp_path: Path) -> None:
    """A backup that first met a post already edited keeps that version, then the older ones
    the platform's edit history gives: the page orders them by when each was current."""
    backup = BackupStore(tmp_path / "b").account(Platform.BLUESKY, ALICE)
    ref = bsky("3khist")
    versions = [
        Post(ref, T0, RichText(f"version {n}"), edited_at=T0 + timedelta(hours=n) if n else None)
        for n in range(4)
    ]
    backup.save_post(versions[2])
    backup.save_post(versions[3])  # keeps version 2
    for version in versions[:2]:  # the history: the original and the first edit
        backup.add_version(ref.id, post_document(version))
    render_site(tmp_path / "b", tmp_path / "site")
    html = post_page(tmp_path / "site", "version 3")
    shown = re.findall(r"current from ([^<]+)</p>.*?version (\d)", html)
    assert shown == [
        ("2024-03-01 12:00 UTC", "0"),
        ("2024-03-01 13:00 UTC", "1"),
        ("2024-03-01 14:00 UTC", "2"),
    ]


def test_an_undated_trail_item_shows_no_date(site: Path) -> None:
    html = post_page(site, "my comment")
    quoted = html.split('<blockquote class="quoted">')[1].split("</blockquote>")[0]
    assert "dave's original" in quoted
    assert "<time" not in quoted
    assert "2024-04-30" not in quoted  # the reblog's date, never the trail item's
    assert '<time datetime="2024-04-30T12:00:00+00:00">' in html  # the reblog's own
    (src,) = re.findall(r'<img src="([^"]+)" alt="trail picture"', quoted)
    assert (site / "posts" / src).resolve().is_file()


def test_a_link_card_shows_its_stored_thumbnail_never_the_remote_one(site: Path) -> None:
    html = post_page(site, "My first post")
    (src,) = re.findall(r'<img class="thumb" src="([^"]+)"', html)
    assert src.startswith("../media/")
    assert (site / "posts" / src).resolve().is_file()
    assert "cdn.example/thumb.jpg" not in html


def test_mastodon_bio_and_fields_are_sanitised_html_and_tumblr_theme_is_words(site: Path) -> None:
    masto = main_of(read(site, "accounts/mastodon-alice-mastodon.social-" + _hash(MASTO) + ".html"))
    assert (
        'Hello <a href="https://mastodon.social/tags/art" rel="nofollow noopener noreferrer">'
        in masto
    )
    assert '<dt>site</dt><dd><a href="https://alice.example"' in masto
    assert "verified 2024-03-01" in masto
    bookmarks = read(
        site, "accounts/mastodon-alice-mastodon.social-" + _hash(MASTO) + "/bookmarks.html"
    )
    assert "Erin's toot" in bookmarks.replace("&#39;", "'")
    tumblr = main_of(read(site, "accounts/tumblr-alice.html"))
    assert "<dt>background color</dt><dd>#FAFAFA</dd>" in tumblr
    assert "<dt>show title</dt><dd>yes</dd>" in tumblr
    assert "media.tumblr.com" not in tumblr
    assert "Cats and paint" in tumblr


def test_the_accounts_page_lists_every_account(site: Path) -> None:
    main = main_of(read(site, "accounts.html"))
    assert main.count("<li>") == 3
    assert f">@{ALICE}</a>" in main
    assert "Alice Painter" in main
    assert ">@alice@mastodon.social</a>" in main


def test_every_new_page_keeps_the_policy(site: Path) -> None:
    for path in [site / "accounts.html", *(site / "accounts").rglob("*.html")]:
        html = path.read_text(encoding="utf-8")
        assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in html
        assert " style=" not in html
        assert re.findall(r'src="https?:', html) == [], path
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == [], path


def test_a_second_render_rewrites_nothing_and_a_new_like_few_pages(tmp_path: Path) -> None:
    site = rendered(tmp_path)
    root = tmp_path / "backup"
    assert render_site(root, site).written == ()
    backup = BackupStore(root).account(Platform.BLUESKY, ALICE)
    saved = load_collection(backup, Collection.LIKES)
    new = Entry(
        "new",
        T0 + timedelta(days=10),
        subject=bsky("3new", BOB_DID),
        post=Post(bsky("3new", BOB_DID), T0, RichText("a new like")),
    )
    save_collection(backup, Collection.LIKES, [new, *saved], T0, complete=True)
    again = render_site(root, site)
    assert sorted(again.written) == [
        "accounts/bluesky-alice.bsky.social.html",  # the count of likes
        "accounts/bluesky-alice.bsky.social/likes.html",  # the older runs stay as they were
    ]


def test_a_damaged_collection_is_left_out_with_a_note(tmp_path: Path) -> None:
    root = tmp_path / "backup"
    backup = bluesky_account(root)
    (backup.folder / "collections" / "likes.json").write_text("{not json")
    progress = RecordingProgress()
    render_site(root, tmp_path / "site", progress=progress)
    (note,) = progress.notes
    assert "likes.json: cannot read it" in note
    assert "left out of the site" in note
    assert not (
        tmp_path / "site" / "accounts" / "bluesky-alice.bsky.social" / "likes.html"
    ).exists()
    assert (
        tmp_path / "site" / "accounts" / "bluesky-alice.bsky.social" / "following.html"
    ).exists()


def _hash(account: str) -> str:
    return hashlib.sha256(account.encode()).hexdigest()[:8]


def test_a_real_mastodon_bio_and_fields_keep_their_links_and_lose_the_rest(
    tmp_path: Path,
) -> None:
    """The Account example of Mastodon's docs (a remote user): the note and field values are
    HTML, with hashtag and h-card mention links, `target` and `span.invisible`."""
    account = json.loads(
        fixture_path(
            "mastodon-docs/extracted/methods_accounts.md_L0654_get-account_200.json"
        ).read_text(encoding="utf-8")
    )
    backup = BackupStore(tmp_path / "b").account(Platform.MASTODON, account["acct"])
    fields = tuple(
        ProfileField(item["name"], item["value"], _parsed(item["verified_at"]))
        for item in account["fields"]
    )
    profile = Profile(
        Platform.MASTODON,
        account["url"],
        account["acct"],
        account["display_name"],
        bio_html=account["note"],
        fields=fields,
        counts={"followers": account["followers_count"]},
    )
    save_profile(backup, profile, T0)
    render_site(tmp_path / "b", tmp_path / "site")
    (page,) = (tmp_path / "site" / "accounts").glob("*.html")
    main = main_of(page.read_text(encoding="utf-8"))
    assert '<a href="https://awoo.space/tags/awoo" class="mention hashtag" rel="nofollow' in main
    assert (
        '<span class="h-card"><a href="https://weirder.earth/@dzuk" class="u-url mention"' in main
    )
    assert "target=" not in main
    assert "invisible" not in main  # the class is dropped, so the link shows its whole address
    assert '<dt>Website</dt><dd><a href="http://shork.xyz"' in main
    assert "verified 2019-11-23" in main
    assert "<dt>Pronouns</dt><dd>they/them</dd>" in main
    assert f"<li>{account['followers_count']:,} followers</li>" in main


def test_a_real_tumblr_description_is_sanitised_html(tmp_path: Path) -> None:
    """The /info example of Tumblr's API docs: `description` is HTML."""
    path = fixture_path("tumblr-docs/extracted/api.md_L0735_info-retrieve-blog-info_response.json")
    blog = json.loads(path.read_text(encoding="utf-8"))["response"]["blog"]
    backup = BackupStore(tmp_path / "b").account(Platform.TUMBLR, blog["name"])
    profile = Profile(
        Platform.TUMBLR,
        blog["name"],
        blog["name"],
        blog["title"],
        bio_html=blog["description"],
        url=blog["url"],
        title=blog["title"],
        counts={"posts": blog["posts"], "likes": blog["likes"]},
    )
    save_profile(backup, profile, T0)
    render_site(tmp_path / "b", tmp_path / "site")
    main = main_of((tmp_path / "site" / "accounts" / "tumblr-david.html").read_text("utf-8"))
    assert "<h1>David&#39;s Log</h1>" in main
    assert "<p><strong>Mr. Karp</strong> is tall and skinny" in main
    assert "Blog title" not in main  # the title is the display name: said once
    assert "<li>3,456 posts</li><li>12,345 likes</li>" in main
    assert '<a href="https://david.tumblr.com/" rel="nofollow noopener noreferrer">' in main


def _parsed(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
