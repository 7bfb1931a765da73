"""The pages of the accounts: accounts.html lists them, accounts/<slug>.html is one account's
profile, and accounts/<slug>/<kind>.html its collections: liked, bookmarked and reposted posts
as cards of what was saved (a link to the original where it could not be read), people as
links to their pages, lists with their members.

Long collections are split like a month of posts (`pages.runs`): the newest hundred posts (or
five hundred people) first, then fixed runs counted from the oldest, so a new like rewrites
the first page and at most one other.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

from markupsafe import Markup

from crosspost.account_data import Collection
from crosspost.account_data import Entry as Saved
from crosspost.view.account import AccountData, SavedCollection
from crosspost.view.cards import Cards
from crosspost.view.load import PLATFORM_NAMES
from crosspost.view.pages import LIST_PAGE, Page, chunk_count, render_page, runs
from crosspost.view.parts import Link
from crosspost.view.people import as_handle
from crosspost.view.profile import COLLECTION_NAMES, PersonRow, person_row, profile_view

PEOPLE_PAGE = 500  # accounts on one page of follows, followers, blocks or mutes
_VERBS = {
    Collection.LIKES: "liked",
    Collection.BOOKMARKS: "bookmarked",
    Collection.REPOSTS: "reposted",
    Collection.FOLLOWING: "followed",
    Collection.FOLLOWERS: "followed",
    Collection.BLOCKS: "blocked",
    Collection.MUTES: "muted",
}


class AccountRow(NamedTuple):
    handle: str
    display_name: str
    platform: str
    href: str
    avatar: str | None


class SavedItem(NamedTuple):
    """A liked, bookmarked or reposted post: its card, or a link where it was not read."""

    when: str
    card: Markup | None
    link: Link | None


class ListView(NamedTuple):
    name: str
    description: str
    when: str
    members: tuple[PersonRow, ...]


def account_page_count(accounts: Sequence[AccountData]) -> int:
    """The pages the accounts make (for progress): accounts.html, a profile page each, and the
    pages of each collection."""
    total = 1
    for data in accounts:
        total += 1
        for kind, found in data.collections.items():
            total += 1 + chunk_count(len(found.entries), _page_size(kind))
    return total


def account_pages(accounts: Sequence[AccountData], top: Cards, nested: Cards, deep: Cards
                  ) -> Iterator[Page]:  # fmt: skip
    """Every account's pages; `top`, `nested` and `deep` are cards for pages at the site's
    root, in accounts/ and in accounts/<slug>/."""
    yield "accounts.html", _accounts_page(accounts, top)
    for data in accounts:
        view = profile_view(data, nested)
        title = view.display_name or view.handle
        yield data.page, render_page("profile.html.j2", title, "../", p=view)
        for found in data.collections.values():
            yield from _collection_pages(data, found, view.handle, deep)


def _accounts_page(accounts: Sequence[AccountData], top: Cards) -> str:
    rows = []
    for data in accounts:
        backup = data.backup
        profile = data.profile.profile if data.profile is not None else None
        handle = profile.handle if profile is not None and profile.handle else backup.handle()
        avatar = top.image_src(backup, profile.avatar) if profile is not None else None
        name = profile.display_name if profile is not None else ""
        platform = PLATFORM_NAMES[backup.platform]
        rows.append(AccountRow(as_handle(handle), name, platform, data.page, avatar))
    return render_page("accounts.html.j2", "Accounts", "", accounts=rows)


def _page_size(kind: Collection) -> int:
    return LIST_PAGE if kind.of_posts else PEOPLE_PAGE


def _collection_pages(
    data: AccountData, found: SavedCollection, handle: str, deep: Cards
) -> Iterator[Page]:
    kind = found.kind
    heading = COLLECTION_NAMES[kind]
    title = f"{heading} of {handle}"
    back = Link(handle, f"../{data.slug}.html")
    if kind is Collection.LISTS:
        lists = [_list_view(data, entry, deep) for entry in found.entries]
        page = render_page("lists.html.j2", title, "../../", heading=heading, back=back,
                           lede=_lede(found, len(found.entries), True), lists=lists)  # fmt: skip
        yield data.collection_page(kind), page
        return
    base = data.collection_page(kind).removesuffix(".html")
    pages = runs(base, found.entries, _page_size(kind))
    for index, (path, run) in enumerate(pages):
        newer = pages[index - 1][0] if index > 0 else None
        older = pages[index + 1][0] if index + 1 < len(pages) else None
        context = {
            "heading": heading,
            "back": back,
            "lede": _lede(found, len(run), index == 0),
            "paged": len(pages) > 1,
            "verb": _VERBS[kind],
            "newer": newer.rpartition("/")[2] if newer else None,
            "older": older.rpartition("/")[2] if older else None,
        }
        if kind.of_posts:
            items = [_saved_item(data, entry, deep) for entry in run]
            yield path, render_page("saved.html.j2", title, "../../", (), items=items, **context)
        else:
            platform = data.backup.platform
            people = [
                person_row(platform, entry.person, entry.created_at, deep)
                for entry in run
                if entry.person is not None
            ]
            yield path, render_page("people.html.j2", title, "../../", (), people=people, **context)


def _lede(found: SavedCollection, shown: int, newest: bool) -> str:
    """Only the newest page names the total: older runs stay the same file as it grows."""
    total = len(found.entries)
    kind = found.kind
    noun = "list" if kind is Collection.LISTS else ("post" if kind.of_posts else "account")
    if not newest:
        return _plural(shown, noun)
    if shown == total:
        words = _plural(total, noun)
    else:
        words = f"the newest {shown:,} of {_plural(total, noun)}"
    if not found.complete:
        words += " (the last backup stopped before the end of this list)"
    return words


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _saved_item(data: AccountData, entry: Saved, deep: Cards) -> SavedItem:
    when = f"{entry.created_at:%Y-%m-%d %H:%M UTC}" if entry.created_at else ""
    if entry.post is not None:
        return SavedItem(when, deep.saved(entry.post, data.backup), None)
    if entry.subject is not None:
        return SavedItem(when, None, deep.ref_link(entry.subject))
    return SavedItem(when, None, None)


def _list_view(data: AccountData, entry: Saved, deep: Cards) -> ListView:
    platform = data.backup.platform
    members = tuple(person_row(platform, person, None, deep) for person in entry.members)
    when = f"{entry.created_at:%Y-%m-%d}" if entry.created_at else ""
    return ListView(entry.name or "(a list without a name)", entry.description, when, members)
