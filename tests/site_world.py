"""A backup with a post of every visibility, for the public site's tests: the sample's public
posts, and beside them posts that must never reach the site, each with its own text, id and
media file so a scan of the site can look for every one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from crosspost.account_data import Collection, Entry, Profile
from crosspost.backup.account_files import save_collection, save_profile
from crosspost.backup.store import AccountBackup, BackupStore
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
from tests.test_view_sample import BSKY, MASTO, T0, TUMBLR, build_sample, png, store_media

URL = "https://me.example/"
MASTO_PROFILE = "https://mastodon.social/@alice"


@dataclass(frozen=True)
class Secret:
    """What a scan of the site looks for: a hidden post's words, id and media file name."""

    text: str
    post_id: str
    media_name: str = ""  # the stored file's name (its sha256), when it has one


def _hidden(
    backup: AccountBackup, root: Path, number: int, url: str, **given: Any
) -> tuple[Post, Secret]:
    text = f"SECRET words {number} never published"
    post_id = f"98765{number:03d}"
    sha, local = store_media(backup, root, png((number, 7, 200 - number)), "png")
    ref = PostRef(backup.platform, backup.account, post_id, url.format(id=post_id))
    image = Media(MediaKind.IMAGE, f"https://cdn.example/{sha}.png", "a hidden picture",
                  sha256=sha, local_path=local)  # fmt: skip
    post = Post(ref, T0 + timedelta(days=number), RichText(text), media=(image,), **given)
    backup.save_post(post)
    return post, Secret(text, post_id, sha)


def build_world(root: Path) -> list[Secret]:
    """The sample (public posts of three accounts), profiles, collections, and the posts a
    public site must leave out; returns what must not be found."""
    build_sample(root)
    store = BackupStore(root)
    bsky = store.account(Platform.BLUESKY, BSKY)
    masto = store.account(Platform.MASTODON, MASTO)
    tumblr = store.account(Platform.TUMBLR, TUMBLR)
    toot = "https://mastodon.social/@alice/{id}"
    blog = "https://alice.tumblr.com/post/{id}/a-secret-slug"
    secrets = []
    hidden: list[tuple[AccountBackup, str, dict[str, Any]]] = [
        (masto, toot, {"visibility": Visibility.FOLLOWERS, "tags": ("secrettag",)}),
        (masto, toot, {"visibility": Visibility.DIRECT}),
        (tumblr, blog, {"visibility": Visibility.PRIVATE, "raw": {"state": "private"}}),
        (tumblr, blog, {"visibility": Visibility.PRIVATE, "raw": {"state": "draft"}}),
        (tumblr, blog, {"visibility": Visibility.PRIVATE, "raw": {"state": "queued"}}),
        (bsky, "https://bsky.app/profile/alice.bsky.social/post/{id}", {"deleted": True}),
    ]
    posts = []
    for number, (backup, url, given) in enumerate(hidden, start=1):
        post, secret = _hidden(backup, root, number, url, **given)
        posts.append(post)
        secrets.append(secret)
    # Public posts that point at a hidden one: two replies in a conversation it started.
    followers = posts[0]
    masto.save_post(Post(PostRef(Platform.MASTODON, MASTO, "2001", toot.format(id="2001")),
                         T0 + timedelta(days=30), RichText("a public reply to a hidden post"),
                         kind=PostKind.REPLY, reply_to=followers.ref,
                         thread_root=followers.ref))  # fmt: skip
    masto.save_post(Post(PostRef(Platform.MASTODON, MASTO, "2002", toot.format(id="2002")),
                         T0 + timedelta(days=31), RichText("the reply after it"),
                         kind=PostKind.REPLY, reply_to=PostRef(Platform.MASTODON, MASTO, "2001"),
                         thread_root=followers.ref))  # fmt: skip
    masto.save_post(Post(PostRef(Platform.MASTODON, MASTO, "2003", toot.format(id="2003")),
                         T0 + timedelta(days=32), RichText("an unlisted post, public by its link"),
                         visibility=Visibility.UNLISTED))  # fmt: skip
    secrets += _profiles_and_collections(root, masto, bsky)
    return secrets


def _profiles_and_collections(
    root: Path, masto: AccountBackup, bsky: AccountBackup
) -> list[Secret]:
    sha, local = store_media(masto, root, png((10, 200, 10)), "png")
    avatar = Media(MediaKind.IMAGE, "https://cdn.example/a.png", "", sha256=sha, local_path=local)
    save_profile(masto, Profile(Platform.MASTODON, MASTO_PROFILE, "alice@mastodon.social",
                                display_name="Alice Example", bio="I paint, mostly.",
                                bio_html="<p>I paint, <em>mostly</em>.</p>", avatar=avatar,
                                url=MASTO_PROFILE), T0)  # fmt: skip
    save_profile(bsky, Profile(Platform.BLUESKY, "did:plc:alice", BSKY, display_name="Alice B",
                               url="https://bsky.app/profile/alice.bsky.social"), T0)  # fmt: skip
    secrets = []
    for number, kind in enumerate((Collection.LIKES, Collection.BOOKMARKS), start=50):
        text = f"SECRET saved {kind.value} post"
        ref = PostRef(Platform.MASTODON, "zed@elsewhere.social", f"4444{number}",
                      f"https://elsewhere.social/@zed/4444{number}")  # fmt: skip
        saved = Post(ref, T0, RichText(text))
        save_collection(masto, kind, [Entry(str(number), T0, ref, saved)], T0, complete=True)
        secrets.append(Secret(text, ref.id))
    return secrets
