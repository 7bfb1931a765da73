"""The whole account in a backup: profile, collections, earlier versions, trail and card media."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crosspost.account_data import Collection, Entry, Person, Profile, ProfileField
from crosspost.backup.account_files import (
    collection_info,
    load_collection,
    load_profile,
    profile_versions,
)
from crosspost.backup.account_run import parse_parts
from crosspost.backup.runner import BackupOptions, BackupResult, run_backup
from crosspost.backup.store import AccountBackup, BackupStore
from crosspost.errors import RateLimitedError
from crosspost.model import LinkCard, Media, MediaKind, Platform, Post, PostRef, RichText
from tests.fake_platform import START, FakeWholeAccount, png

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def backup(
    fake: FakeWholeAccount, root: Path, at: datetime = NOW, **options: object
) -> BackupResult:
    return run_backup(
        fake,
        BackupStore(root),
        BackupOptions(**options),  # type: ignore[arg-type]
        now=lambda: at,
    )


def folder(root: Path, fake: FakeWholeAccount) -> AccountBackup:
    return BackupStore(root).account(fake.account.platform, fake.account.identity)


def image(fake: FakeWholeAccount, name: str) -> Media:
    url = f"https://media.fake.example/{name}.png"
    fake.files[url] = png(url)
    return Media(MediaKind.IMAGE, url=url, mime="image/png")


def a_profile(fake: FakeWholeAccount, bio: str = "I draw", followers: int = 10) -> Profile:
    return Profile(
        Platform.MASTODON,
        "https://fake.example/users/alice",
        "alice@fake.example",
        display_name="Alice",
        bio=bio,
        fields=(ProfileField("site", "https://alice.example"),),
        avatar=image(fake, "avatar"),
        banner=image(fake, "banner"),
        counts={"followers": followers},
    )


def liked(fake: FakeWholeAccount, number: int, *, media: bool = False) -> Entry:
    ref = PostRef(Platform.MASTODON, "bob@fake.example", f"b{number}")
    post = Post(
        ref,
        START + timedelta(hours=number),
        RichText(f"bob's post {number}"),
        media=(image(fake, f"liked{number}"),) if media else (),
    )
    return Entry(f"like{number}", START + timedelta(hours=number), subject=ref, post=post)


def followed(number: int) -> Entry:
    person = Person(f"https://fake.example/users/p{number}", f"p{number}@fake.example")
    return Entry(person.id, person=person)


def test_the_profile_is_kept_with_its_pictures_and_its_earlier_versions(tmp_path: Path) -> None:
    fake = FakeWholeAccount()
    fake.profile = a_profile(fake)
    result = backup(fake, tmp_path)
    saved = load_profile(folder(tmp_path, fake))
    assert result.account_data.profile == "new"
    assert saved is not None
    assert saved.handle == "alice@fake.example"
    assert saved.avatar is not None
    assert saved.avatar.local_path
    assert saved.banner is not None
    assert saved.banner.local_path
    assert (tmp_path / saved.avatar.local_path).read_bytes() == fake.files[saved.avatar.url or ""]

    fake.profile = a_profile(fake, followers=11)  # only a counter moved
    assert backup(fake, tmp_path).account_data.profile == "unchanged"
    assert profile_versions(folder(tmp_path, fake)) == []

    fake.profile = a_profile(fake, bio="I draw and write")
    assert backup(fake, tmp_path).account_data.profile == "updated"
    versions = profile_versions(folder(tmp_path, fake))
    assert [v.bio for v in versions] == ["I draw"]
    current = load_profile(folder(tmp_path, fake))
    assert current is not None
    assert current.bio == "I draw and write"
    assert fake.calls["fetch_media"] == 2  # the pictures were not downloaded again


def test_likes_are_read_until_a_known_one_and_their_media_kept(tmp_path: Path) -> None:
    fake = FakeWholeAccount()
    likes = [liked(fake, n, media=n % 5 == 0) for n in range(45, 0, -1)]  # newest first
    fake.collections_held[Collection.LIKES] = likes
    result = backup(fake, tmp_path)
    assert fake.calls["fetch_collection:likes"] == 5
    assert result.account_data.collections["likes"]["new"] == 45
    saved = load_collection(folder(tmp_path, fake), Collection.LIKES)
    assert [e.id for e in saved] == [e.id for e in likes]
    with_media = [e.post for e in saved if e.post is not None and e.post.media]
    assert len(with_media) == 9
    assert all(post.media[0].local_path for post in with_media)

    fake.collections_held[Collection.LIKES] = [liked(fake, 46), *likes]
    fake.calls.clear()
    result = backup(fake, tmp_path)
    assert fake.calls["fetch_collection:likes"] == 1  # the first page holds known likes
    assert fake.calls["fetch_media"] == 0
    assert result.account_data.collections["likes"] == {"new": 1, "entries": 46}
    assert load_collection(folder(tmp_path, fake), Collection.LIKES)[0].id == "like46"


def test_a_rate_limit_in_a_collection_keeps_what_was_read_and_the_next_run_goes_on(
    tmp_path: Path,
) -> None:
    fake = FakeWholeAccount()
    fake.collections_held[Collection.LIKES] = [liked(fake, n) for n in range(30, 0, -1)]
    fake.fail_on[("fetch_collection:likes", 2)] = RateLimitedError("slow down", retry_after=60)
    result = backup(fake, tmp_path)
    assert result.stopped
    assert result.retry_after == 60
    backup_folder = folder(tmp_path, fake)
    assert collection_info(backup_folder, Collection.LIKES)["complete"] is False
    assert len(load_collection(backup_folder, Collection.LIKES)) == 10
    backup(fake, tmp_path)  # the saved part is not the whole list: read past it
    assert collection_info(backup_folder, Collection.LIKES)["complete"] is True
    assert len(load_collection(backup_folder, Collection.LIKES)) == 30


def test_follows_are_read_whole_and_an_unfollow_is_seen(tmp_path: Path) -> None:
    fake = FakeWholeAccount()
    fake.collections_held[Collection.FOLLOWING] = [followed(n) for n in range(25)]
    backup(fake, tmp_path)
    fake.collections_held[Collection.FOLLOWING] = [followed(n) for n in range(1, 25)]
    calls = fake.calls["fetch_collection:following"]
    soon = backup(fake, tmp_path, at=NOW + timedelta(hours=1))  # read an hour ago: not again
    assert fake.calls["fetch_collection:following"] == calls
    assert soon.account_data.collections["following"] == {"entries": 25, "not_reread": 1}
    result = backup(fake, tmp_path, at=NOW + timedelta(days=1))
    assert result.account_data.collections["following"]["removed"] == 1
    saved = load_collection(folder(tmp_path, fake), Collection.FOLLOWING)
    handles = [e.person.handle for e in saved if e.person]
    assert handles == [f"p{n}@fake.example" for n in range(1, 25)]
    fake.collections_held[Collection.FOLLOWING] = [followed(n) for n in range(2, 25)]
    full = backup(fake, tmp_path, at=NOW + timedelta(days=1, hours=1), full=True)
    assert full.account_data.collections["following"]["removed"] == 1  # --full reads them now


def test_what_the_reader_cannot_see_is_said(tmp_path: Path) -> None:
    fake = FakeWholeAccount()
    fake.unavailable = {Collection.MUTES: "mutes are private: log in to back them up"}
    result = backup(fake, tmp_path)
    assert result.to_json()["unavailable"] == {"mutes": "mutes are private: log in to back them up"}


def test_only_names_what_to_back_up(tmp_path: Path) -> None:
    fake = FakeWholeAccount()
    fake.add_many(5)
    fake.profile = a_profile(fake)
    fake.collections_held[Collection.LIKES] = [liked(fake, 1)]
    fake.collections_held[Collection.FOLLOWING] = [followed(1)]
    backup(fake, tmp_path, parts=parse_parts("likes"))
    backup_folder = folder(tmp_path, fake)
    assert fake.calls["fetch_page"] == 0
    assert fake.calls["fetch_profile"] == 0
    assert load_collection(backup_folder, Collection.LIKES)
    assert not load_collection(backup_folder, Collection.FOLLOWING)
    with pytest.raises(ValueError, match="choose from posts, profile, likes"):
        parse_parts("posts,favourites")


def test_an_edited_post_keeps_its_earlier_version(tmp_path: Path) -> None:
    fake = FakeWholeAccount()
    fake.add_many(20)
    backup(fake, tmp_path)
    fake.revise("000003", "edited long ago")
    result = backup(fake, tmp_path, full=True)
    assert result.counts["updated"] == 1
    assert result.counts["versions_kept"] == 1
    backup_folder = folder(tmp_path, fake)
    versions = backup_folder.load_versions("000003")
    assert [v.text.text for v in versions] == ["post 3"]
    assert backup_folder.load_post("000003").text.text == "edited long ago"  # type: ignore[union-attr]
    backup(fake, tmp_path, full=True)  # nothing changed: nothing more kept
    assert len(backup_folder.load_versions("000003")) == 1


def test_the_platforms_edit_history_is_kept(tmp_path: Path) -> None:
    fake = FakeWholeAccount()
    fake.add_many(3)
    original = fake.posts["000001"]
    fake.revise("000001", "second wording")
    fake.history["000001"] = [original]
    result = backup(fake, tmp_path)
    assert result.counts["history_calls"] == 1  # only the edited post is asked about
    versions = folder(tmp_path, fake).load_versions("000001")
    assert [v.text.text for v in versions] == ["post 1"]


def test_a_counter_in_the_payload_is_not_an_edit(tmp_path: Path) -> None:
    fake = FakeWholeAccount()
    fake.add_many(3)
    backup(fake, tmp_path)
    post = fake.posts["000001"]
    fake.posts["000001"] = replace(post, raw={**post.raw, "note_count": 99})
    result = backup(fake, tmp_path, full=True)
    assert result.counts["updated"] == 0
    assert result.counts["versions_kept"] == 0
    assert folder(tmp_path, fake).load_versions("000001") == []


def test_trail_media_and_card_thumbnails_are_stored(tmp_path: Path) -> None:
    fake = FakeWholeAccount()
    post = fake.add(1, text="look at this")
    original = Post(
        PostRef(Platform.MASTODON, "artist@fake.example", "art1"),
        post.created_at,
        RichText("my art"),
        media=(image(fake, "art-a"), image(fake, "art-b")),
        undated=True,
    )
    thumb = image(fake, "thumb")
    card = LinkCard("https://site.example/", "A site", thumb_url=thumb.url)
    fake.posts[post.ref.id] = post.with_changes(trail=(original,), link_card=card)
    backup(fake, tmp_path)
    saved = folder(tmp_path, fake).load_post(post.ref.id)
    assert saved is not None
    assert all(m.local_path for m in saved.trail[0].media)
    assert saved.trail[0].undated
    assert saved.link_card is not None
    assert saved.link_card.thumb_local_path
    assert (tmp_path / saved.link_card.thumb_local_path).read_bytes() == fake.files[thumb.url or ""]
    fake.calls.clear()
    backup(fake, tmp_path, full=True)
    assert fake.calls["fetch_media"] == 0  # kept files are not fetched again


def test_verify_checks_profiles_collections_and_versions(tmp_path: Path) -> None:
    from crosspost.backup.account_files import profile_path
    from crosspost.backup.verify import verify_backup

    fake = FakeWholeAccount()
    fake.add_many(3)
    fake.profile = a_profile(fake)
    fake.collections_held[Collection.LIKES] = [liked(fake, n, media=True) for n in (2, 1)]
    backup(fake, tmp_path)
    fake.revise("000001", "edited")
    backup(fake, tmp_path, full=True)
    report = verify_backup(tmp_path)
    assert report.problems == []
    assert (report.profiles, report.versions, report.collections) == (1, 1, {"likes": 2})
    assert report.media_files == 4  # avatar, banner, two liked posts' images
    assert not [n for n in report.notes if "names this file" in n]

    saved = load_profile(folder(tmp_path, fake))
    assert saved is not None
    assert saved.avatar is not None
    (tmp_path / (saved.avatar.local_path or "")).unlink()
    profile_file = profile_path(folder(tmp_path, fake))
    damaged = verify_backup(tmp_path)
    assert [p for p in damaged.problems if "is missing" in p]
    profile_file.write_text("{not json")
    assert [p for p in verify_backup(tmp_path).problems if "profile.json" in p]


def test_someone_met_twice_in_one_listing_is_kept_once(tmp_path: Path) -> None:
    fake = FakeWholeAccount()
    people = [followed(n) for n in range(12)]
    fake.collections_held[Collection.FOLLOWERS] = [*people[:10], people[9], *people[10:]]
    result = backup(fake, tmp_path)
    assert result.account_data.collections["followers"]["entries"] == 12
    assert len(load_collection(folder(tmp_path, fake), Collection.FOLLOWERS)) == 12


def test_an_empty_page_with_a_cursor_is_not_the_end(tmp_path: Path) -> None:
    """Mastodon's reposts listing filters boosts out of pages of statuses: a page can hold none
    and still have more after it."""
    from crosspost.account_data import CollectionPage

    class Sparse(FakeWholeAccount):
        def fetch_collection(self, kind: Collection, cursor: str | None = None) -> CollectionPage:
            self._tick(f"fetch_collection:{kind.value}")
            page = int(cursor or 0)
            if page < 3:
                return CollectionPage((), str(page + 1))
            return CollectionPage((liked(self, 1),), None)

    fake = Sparse()
    fake.collections_held[Collection.REPOSTS] = []
    backup(fake, tmp_path)
    assert fake.calls["fetch_collection:reposts"] == 4
    assert len(load_collection(folder(tmp_path, fake), Collection.REPOSTS)) == 1
