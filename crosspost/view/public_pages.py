"""The pages the public site adds to the viewer's: its <head> additions, the accounts as
h-cards, redirects from old post addresses, and the Atom feeds.

Every link stays relative (a page reaches the site's root through `../`), so the folder can be
uploaded anywhere; only what must be absolute is: the canonical address and the feeds' ids and
links, made from `--url`. Without it a canonical link names the page relative to itself.

Canonical links name the page itself, not the original on its platform: the site is where the
posts now live, and a canonical pointing at the platform would tell search engines to index the
platform's copy in its place, and to send readers to a page that may be gone (leaving the
platform is why many make this site). Each post still links to its original (u-syndication).

The accounts' collections are not shown. Bookmarks, mutes, blocks and lists are private on every
platform. Likes and follows are public only on some, and on others it is a setting of the
account that a backup does not record (a Mastodon account can hide whom it follows; a Tumblr
blog shares its likes and follows only when it chose to): the site leaves them all out rather
than guess.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from markupsafe import Markup

from crosspost.view.account import AccountData
from crosspost.view.account_pages import AccountRow
from crosspost.view.cards import Cards
from crosspost.view.feeds import Author, Feed, FeedEntry, atom
from crosspost.view.listings import Listing
from crosspost.view.load import PLATFORM_NAMES, Archive, Entry, heading, post_tags
from crosspost.view.pages import Page, render_page
from crosspost.view.people import as_handle
from crosspost.view.profile import bio_markup
from crosspost.view.render import render
from crosspost.view.safe import safe_url, tag_slug

FEED_SIZE = 50  # the newest posts of an account or a tag
ACCOUNT_POSTS = 20  # shown on an account's page
_OLD_POST = re.compile(r"^/post/([0-9]+)(?:/([^/]+))?/?$")


class FeedLink(NamedTuple):
    title: str
    href: str  # relative, from the page


class HCard(NamedTuple):
    name: str
    handle: str
    platform: str
    page: str  # the account's page here, relative
    profile: str | None  # its profile on its platform (rel=me)
    photo: str | None
    note: Markup | None  # the bio, sanitised
    feed: str | None


class Head:
    """What the public site adds to each page's <head>."""

    def __init__(self, url: str | None, robots: str, feeds: bool) -> None:
        self.url = url
        self.robots = robots
        self.feeds = feeds

    def add(
        self, path: str, html: str, feeds: Sequence[FeedLink] = (), me: Sequence[str] = ()
    ) -> Page:
        """The page with the public site's <head> lines added."""
        extra = render(
            "site/head.html.j2",
            canonical=self.canonical(path),
            robots=self.robots,
            feeds=feeds if self.feeds else (),
            me=me,
        )
        return path, html.replace("</head>", f"{extra}</head>", 1)

    def canonical(self, path: str) -> str:
        if self.url is None:
            return path.rpartition("/")[2]
        return self.url if path == "index.html" else self.url + path


def prefix_of(path: str) -> str:
    return "../" * path.count("/")


def account_feed(data: AccountData) -> str:
    return f"feeds/{data.slug}.xml"


def tag_feed(key: str) -> str:
    return f"feeds/tags/{tag_slug(key)}.xml"


def profile_url(data: AccountData) -> str | None:
    profile = data.profile.profile if data.profile is not None else None
    return safe_url(profile.url) if profile is not None else None


def h_card(data: AccountData, cards: Cards, feeds: bool) -> HCard:
    """The account as its h-card, for a page at the depth of `cards`."""
    backup = data.backup
    profile = data.profile.profile if data.profile is not None else None
    handle = as_handle(
        profile.handle if profile is not None and profile.handle else backup.handle()
    )
    return HCard(
        name=(profile.display_name if profile is not None else "") or handle,
        handle=handle,
        platform=PLATFORM_NAMES[backup.platform],
        page=cards.prefix + data.page,
        profile=profile_url(data),
        photo=cards.image_src(backup, profile.avatar) if profile is not None else None,
        note=bio_markup(profile, cards) if profile is not None else None,
        feed=cards.prefix + account_feed(data) if feeds else None,
    )


def index_with_cards(html: str, accounts: Sequence[AccountData], top: Cards, feeds: bool) -> str:
    """index.html with the accounts' h-cards at the top of its content."""
    cards = render("site/hcards.html.j2", hcards=[h_card(data, top, feeds) for data in accounts])
    return html.replace("<main>\n", f"<main>\n{cards}", 1)


def accounts_page(accounts: Sequence[AccountData], top: Cards) -> Page:
    rows = []
    for data in accounts:
        card = h_card(data, top, False)
        rows.append(AccountRow(card.handle, card.name, card.platform, data.page, card.photo))
    return "accounts.html", render_page("accounts.html.j2", "Accounts", "", accounts=rows)


def newest_by_account(archive: Archive, count: int) -> dict[str, list[Entry]]:
    """Each account folder's newest `count` posts (newest first), by the folder's path, from one
    pass over the posts."""
    folders = {id(backup): os.fspath(backup.folder) for backup in archive.accounts}
    found: dict[str, list[Entry]] = {}
    for entry in archive.entries:
        folder = folders.get(id(entry.backup)) or os.fspath(entry.backup.folder)
        own = found.setdefault(folder, [])
        if len(own) < count:
            own.append(entry)
    return found


def own_posts(own_of: dict[str, list[Entry]], data: AccountData) -> list[Entry]:
    return own_of.get(os.fspath(data.backup.folder), [])


def account_listing(
    data: AccountData,
    own: Sequence[Entry],
    nested: Cards,
    head: Head,
    links: tuple[Sequence[FeedLink], Sequence[str]],
) -> Listing:
    """An account's page (`own`: its newest posts, more than ACCOUNT_POSTS when it has more),
    with its feed and rel=me links (`links`) in its <head>."""
    card = h_card(data, nested, head.feeds)
    shown = own[:ACCOUNT_POSTS]
    more = len(own) > ACCOUNT_POSTS

    def make() -> str:
        cards = [nested.card(entry) for entry in shown]
        page = render_page("site/account.html.j2", card.name, "../", h=card, cards=cards,
                           more=more)  # fmt: skip
        return head.add(data.page, page, *links)[1]

    return Listing(data.page, (card, more, links), shown, make)


def old_addresses(url: str) -> list[str]:
    """The pages a post had at its old address (a Tumblr blog's /post/ID and /post/ID/slug),
    as paths of the site: nothing when its address has another shape."""
    try:
        found = _OLD_POST.match(urlsplit(url).path)
    except ValueError:
        return []
    if found is None:
        return []
    paths = [f"post/{found[1]}/index.html"]
    slug = unquote(found[2] or "")
    if (
        slug
        and slug not in (".", "..")
        and "/" not in slug
        and "\\" not in slug
        and "\0" not in slug
    ):
        paths.append(f"post/{found[1]}/{slug}/index.html")
    return paths


def redirect_listings(archive: Archive, urls: dict[str, str], head: Head) -> Iterator[Listing]:
    """A page at each post's old address that sends the reader to its page here; where two
    posts had one address (two blogs' copies), the newest keeps it. Each is made of its post
    (its title is the post's heading) and where it sends the reader."""
    seen: set[str] = set()
    for entry in archive.entries:
        url = urls.get(entry.key)
        for path in old_addresses(url) if url else ():
            if path in seen:
                continue
            seen.add(path)
            yield Listing(path, (head.url,), (entry,), _redirect(entry, path, head))


def _redirect(entry: Entry, path: str, head: Head) -> Callable[[], str]:
    target = f"posts/{entry.slug}.html"
    return lambda: render(
        "site/redirect.html.j2",
        target=prefix_of(path) + target,
        canonical=head.canonical(target) if head.url else prefix_of(path) + target,
        robots=head.robots,
        title=heading(entry.read()) or "a post",
    )


def feed_listings(
    archive: Archive,
    accounts: Sequence[AccountData],
    own_of: dict[str, list[Entry]],
    absolute: Cards,
    url: str,
) -> Iterator[Listing]:
    """An Atom feed of each account's and each tag's newest posts (`own_of`: each account's
    newest, newest_by_account; `absolute`: cards whose links lead from `url`), each made of
    its posts and its title."""
    made: dict[str, FeedEntry] = {}
    for data in accounts:
        own = own_posts(own_of, data)[:FEED_SIZE]
        if not own:
            continue
        card = h_card(data, absolute, True)
        path = account_feed(data)
        title = f"{card.name} ({card.platform})"
        feed = Feed(url + path, title, url + path, url + data.page, (), card.handle)
        yield Listing(path, (card,), own, _feed(feed, own, absolute, made))
    for key, tagged in archive.tags.items():
        path = tag_feed(key)
        page = f"{url}tags/{tag_slug(key)}.html"
        own = tagged[:FEED_SIZE]
        feed = Feed(url + path, f"#{archive.tag_names[key]}", url + path, page, ())
        yield Listing(path, (feed.title,), own, _feed(feed, own, absolute, made))


def _feed(
    feed: Feed, own: Sequence[Entry], absolute: Cards, made: dict[str, FeedEntry]
) -> Callable[[], str]:
    return lambda: atom(feed._replace(entries=[_entry(e, absolute, made) for e in own]))


def _entry(entry: Entry, absolute: Cards, made: dict[str, FeedEntry]) -> FeedEntry:
    found = made.get(entry.key)
    if found is not None:
        return found
    post = entry.read()
    header = absolute.parts(entry, post).header
    page = absolute.post_href(entry)
    title = heading(post) or f"{header.who} on {header.platform}, {post.created_at:%Y-%m-%d}"
    found = FeedEntry(
        id=page,
        title=title,
        url=page,
        published=post.created_at,
        updated=post.edited_at or post.created_at,
        html=str(absolute.card(entry, post)),
        author=Author(header.who, header.who_href),
        categories=tuple(post_tags(post)),
    )
    made[entry.key] = found
    return found
