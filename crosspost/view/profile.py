"""What an account's page shows, as typed values: its profile (pictures from the local store,
the bio sanitised like post text), links to its collections, and how its profile changed.

Like `parts.py`, plain strings here are escaped by the templates; the bio and the field values
are the only Markup, made by `cards.sanitised_markup` from nh3's output. A Tumblr theme is shown
as words (its colours and fonts), never applied as style.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from itertools import pairwise
from typing import NamedTuple

from markupsafe import Markup

from crosspost.account_data import Collection, Person, Profile
from crosspost.backup.store import AccountBackup
from crosspost.model import Media, Platform, RichText
from crosspost.view.account import AccountData, SavedProfile
from crosspost.view.cards import Cards, sanitised_markup
from crosspost.view.load import PLATFORM_NAMES
from crosspost.view.people import as_handle
from crosspost.view.safe import plain_text, profile_url, safe_url

COLLECTION_NAMES = {
    Collection.LIKES: "Likes",
    Collection.BOOKMARKS: "Bookmarks",
    Collection.REPOSTS: "Reposts",
    Collection.FOLLOWING: "Following",
    Collection.FOLLOWERS: "Followers",
    Collection.LISTS: "Lists",
    Collection.BLOCKS: "Blocked accounts",
    Collection.MUTES: "Muted accounts",
}

_COUNT_ORDER = ("posts", "followers", "following", "likes")


class Field(NamedTuple):
    name: str
    value: Markup  # sanitised HTML (Mastodon writes links there) or escaped text
    verified: str  # when the link was verified, or ""


class CollectionLink(NamedTuple):
    label: str
    href: str
    size: int
    complete: bool


class Change(NamedTuple):
    """One thing an earlier profile said differently: as text, or as pictures."""

    what: str
    before: str
    after: str
    before_src: str | None = None
    after_src: str | None = None


class ProfileChange(NamedTuple):
    when: str  # "between 2024-03-01 and 2024-05-02", from when each profile was saved
    changes: tuple[Change, ...]


class PersonRow(NamedTuple):
    """An account in a list of people: a link to its page here or on its platform."""

    label: str  # "@handle", else the id the platform gave
    display_name: str
    href: str | None
    external: bool
    avatar: str | None
    when: str  # when it was followed, blocked, ... where the platform says


class ProfileView(NamedTuple):
    platform: str
    handle: str
    display_name: str
    permanent_id: str  # shown beside the handle when it is not the handle itself
    avatar: str | None
    avatar_alt: str
    banner: str | None
    bio: Markup
    fields: tuple[Field, ...]
    title: str
    theme: tuple[tuple[str, str], ...]
    counts: tuple[tuple[str, str], ...]
    url: str | None
    created: str
    saved: str
    collections: tuple[CollectionLink, ...]
    changes: tuple[ProfileChange, ...]
    pictures: tuple[tuple[str, str], ...] = ()  # (src, alt): a journal's userpics


def profile_view(data: AccountData, cards: Cards) -> ProfileView:
    """The page of one account folder (`cards` at the depth of accounts/)."""
    backup = data.backup
    saved = data.profile
    profile = saved.profile if saved is not None else None
    handle = profile.handle if profile is not None and profile.handle else backup.handle()
    links = tuple(
        CollectionLink(
            COLLECTION_NAMES[kind],
            cards.prefix + data.collection_page(kind),
            len(found.entries),
            found.complete,
        )
        for kind, found in data.collections.items()
    )
    changes = tuple(reversed(list(_changes(backup, data.earlier, saved, cards))))
    if profile is None:
        return ProfileView(
            PLATFORM_NAMES[backup.platform], as_handle(handle), "", _other_id(handle, backup),
            None, "", None, sanitised_markup("", cards.sanitise), (), "", (), (), None, "", "",
            links, changes,
        )  # fmt: skip
    return ProfileView(
        platform=PLATFORM_NAMES[backup.platform],
        handle=as_handle(handle),
        display_name=profile.display_name,
        permanent_id=profile.id if profile.id not in (handle, f"@{handle}") else "",
        avatar=cards.image_src(backup, profile.avatar),
        avatar_alt=profile.avatar.alt if profile.avatar is not None else "",
        banner=cards.image_src(backup, profile.banner),
        bio=bio_markup(profile, cards),
        fields=tuple(
            _field(item.name, item.value, item.verified_at, cards) for item in profile.fields
        ),
        title=profile.title if profile.title != profile.display_name else "",
        theme=theme_words(profile.theme),
        counts=_counts(profile.counts),
        url=safe_url(profile.url),
        created=f"{profile.created_at:%Y-%m-%d}" if profile.created_at else "",
        saved=f"{saved.saved_at:%Y-%m-%d %H:%M UTC}" if saved and saved.saved_at else "",
        collections=links,
        changes=changes,
        pictures=tuple(
            (src, picture.alt)
            for picture in profile.pictures
            if (src := cards.image_src(backup, picture)) is not None
        ),
    )


def bio_markup(profile: Profile, cards: Cards) -> Markup:
    """The bio as the platform wrote it: its HTML sanitised, or its text with line breaks."""
    if profile.bio_html and "<" in profile.bio_html:
        return sanitised_markup(profile.bio_html, cards.sanitise)
    return sanitised_markup(RichText(profile.bio or profile.bio_html), cards.sanitise)


def theme_words(theme: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """A theme's settings as name and value, words only: its pictures are the banner and its
    colours are never applied."""
    shown = []
    for name, value in sorted(theme.items()):
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, int | float | str):
            text = str(value)
        else:
            continue  # nested settings: none of the colours or fonts are there
        if text and not text.startswith(("http://", "https://", "//")):
            shown.append((str(name).replace("_", " "), text))
    return tuple(shown)


def person_row(
    platform: Platform, person: Person, when: datetime | None, cards: Cards
) -> PersonRow:
    known = cards.names.person(platform, person)
    href: str | None = None
    if known.page is not None:
        href, external = cards.prefix + known.page, False
    else:
        href, external = safe_url(person.url) or profile_url(person.id), True
    return PersonRow(
        as_handle(known.handle),
        known.display_name or person.display_name,
        href,
        external,
        cards.avatar_src(known),
        f"{when:%Y-%m-%d}" if when else "",
    )


def _field(name: str, value: str, verified: datetime | None, cards: Cards) -> Field:
    shown = f"verified {verified:%Y-%m-%d}" if verified else ""
    return Field(name, sanitised_markup(value, cards.sanitise), shown)


def _other_id(handle: str, backup: AccountBackup) -> str:
    stable = backup.stable_id()
    return stable if stable and stable != handle else ""


def _counts(counts: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """What the platform counts, the usual ones first (a saved profile's keys come sorted)."""
    order = {name: index for index, name in enumerate(_COUNT_ORDER)}
    ranked = sorted(counts.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
    return tuple((str(name), _count(value)) for name, value in ranked)


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _changes(
    backup: AccountBackup,
    earlier: Sequence[SavedProfile],
    current: SavedProfile | None,
    cards: Cards,
) -> Iterator[ProfileChange]:
    """What changed from each profile to the next, oldest first."""
    chain = [*earlier, *([current] if current is not None else [])]
    for old, new in pairwise(chain):
        changes = tuple(_differences(backup, old.profile, new.profile, cards))
        if changes:
            yield ProfileChange(_between(old.saved_at, new.saved_at), changes)


def _between(old: datetime | None, new: datetime | None) -> str:
    """When a change happened, as far as the backup can tell: after the old profile was last
    saved, by the time the new one was."""
    first, last = (f"{t:%Y-%m-%d}" if t else "" for t in (old, new))
    if first and first == last:
        return f"on {first}"
    if first and last:
        return f"between {first} and {last}"
    return f"after {first}" if first else (f"by {last}" if last else "at a time not recorded")


def _differences(
    backup: AccountBackup, old: Profile, new: Profile, cards: Cards
) -> Iterator[Change]:
    for what, before, after in (
        ("handle", old.handle, new.handle),
        ("display name", old.display_name, new.display_name),
        ("title", old.title, new.title),
        ("bio", old.bio or plain_text(old.bio_html), new.bio or plain_text(new.bio_html)),
        ("fields", _fields_text(old), _fields_text(new)),
        ("address", old.url or "", new.url or ""),
    ):
        if before != after:
            yield Change(what, before, after)
    for what, was, now in (("avatar", old.avatar, new.avatar), ("banner", old.banner, new.banner)):
        if not _same_picture(was, now):
            yield Change(
                what,
                "none" if was is None else "",
                "none" if now is None else "",
                cards.image_src(backup, was),
                cards.image_src(backup, now),
            )
    old_theme, new_theme = dict(theme_words(old.theme)), dict(theme_words(new.theme))
    for name in sorted(set(old_theme) | set(new_theme)):
        if old_theme.get(name) != new_theme.get(name):
            yield Change(f"theme: {name}", old_theme.get(name, ""), new_theme.get(name, ""))


def _same_picture(old: Media | None, new: Media | None) -> bool:
    """The same file (by its hash, where both were stored), else from the same address."""
    if old is None or new is None:
        return old is new
    if old.sha256 and new.sha256:
        return old.sha256 == new.sha256
    return old.url == new.url


def _fields_text(profile: Profile) -> str:
    return "; ".join(f"{item.name}: {plain_text(item.value)}" for item in profile.fields)
