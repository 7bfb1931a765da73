"""The Dreamwidth client: one journal, read and written through the XML-RPC protocol.

Listing (`fetch_page`) goes newest entry first by item id, the order entries were posted in: a
backdated entry posted today (a migration's) comes first, where a listing by date would bury it
where an incremental backup never looks. The first page asks `syncitems` for every entry id
(listing.py: the exact count of entries, and the ids), then reads 100 entries a call with
`getevents`; the cursor (`before:<itemid>`) names where the next page starts, so a resumed run
reads on from there with no listing (ids that are gone are simply not answered).

An incremental backup lists only what changed (ListsChanges): syncitems from the mark the last
listing left gives the entries created or edited since, wherever they are in the journal, and
only those are read; a rerun with nothing new is one syncitems call (two requests, with its
challenge). Comments are a collection (HasCollections): the export's metadata each run, bodies
only for comments not kept yet (UsesSavedEntries; comments.py).

Publishing has no idempotency key, and a blind retry is hidden by Dreamwidth's duplicate check
(postevent answers the poster's last entry when subject, body and security repeat it): every
mirror carries its marker (`import_source`), a retry after an unknown outcome first looks for it
(`find_published`), and a post whose text repeats the last one's gets an invisible HTML comment
so the duplicate check does not hand back another draft's entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from crosspost.account_data import Collection, CollectionPage, Entry, Person, Profile
from crosspost.accounts import Account
from crosspost.errors import DataError, PlatformError
from crosspost.model import Limits, Media, MediaKind, Platform, Post, PostRef, Visibility
from crosspost.platforms.base import Draft, LazyPosts, Page, RetryPolicy
from crosspost.platforms.dreamwidth import comment_read, comments, listing
from crosspost.platforms.dreamwidth.limits import LIMITS
from crosspost.platforms.dreamwidth.marker import marker_props, matches
from crosspost.platforms.dreamwidth.protocol import CANNOT_EDIT, SITE, CallFault, Transport
from crosspost.platforms.dreamwidth.read import to_post
from crosspost.platforms.dreamwidth.write import from_draft
from crosspost.platforms.retry import OutcomeUnknownError
from crosspost.platforms.spec import WriteContext

PAGE_SIZE = listing.EVENTS_PER_CALL
FIND_WINDOW = 100  # how many of the newest entries find_published looks through
_CURSOR = "before:"
_DATE_FIELDS = ("year", "mon", "day", "hour", "min")


class DreamwidthClient:
    """A journal on Dreamwidth (or another server of the protocol, `account.service`), signed in
    with an API key. `transport` may be given (tests count its requests)."""

    def __init__(
        self,
        account: Account,
        api_key: str,
        *,
        retry: RetryPolicy | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.account = account
        self.journal = account.identity
        self.transport = transport or Transport(
            account.service or SITE, self.journal, api_key, account_name=account.name,
            retry=retry,
        )  # fmt: skip
        self.retry = self.transport.retry
        self._ids: list[int] | None = None  # this process's listing, newest first
        self._after: str | None = None  # list only the entries changed after this mark
        self._mark: str | None = None  # where the last listing left the list of changes
        self._login: dict[str, Any] | None = None
        self._last_sig: str | None = None  # the duplicate signature of this client's last post
        self._entries: dict[int, PostRef] = {}  # itemid -> the entry's ref, as read this run
        self._saved_comments: dict[int, Entry] = {}
        self._reread_comments = True  # no saved copy given: every body is read

    # -- reading -------------------------------------------------------------------------

    def limits(self) -> Limits:
        return LIMITS

    def sees(self, visibility: Visibility) -> bool:
        """Signed in as the journal's owner: every entry, whatever its security."""
        return True

    def fetch_page(self, cursor: str | None = None) -> Page:
        total: int | None = None
        if cursor is None or (self._ids is None and self._after is not None):
            items, self._mark = listing.changes(self.transport, self._after)
            self._ids = sorted(items.entries, reverse=True)
            total = len(self._ids) if self._after is None else None  # a count of changes only
        if cursor is None:
            assert self._ids is not None
            wanted = self._ids[:PAGE_SIZE]
        else:
            below = _cursor_id(cursor)
            if self._ids is not None:
                wanted = [i for i in self._ids if i < below][:PAGE_SIZE]
            else:  # a resumed run: the ids below, whether or not they still exist
                wanted = list(range(below - 1, max(below - 1 - PAGE_SIZE, 0), -1))
        records = list(listing.events(self.transport, wanted, journal=self.journal))
        self._know(records)
        lowest = min(wanted, default=0)
        more = lowest > 1 and (self._ids is None or any(i < lowest for i in self._ids))
        posts = LazyPosts(records, self._to_post)
        return Page(posts, f"{_CURSOR}{lowest}" if more else None, total=total)

    def list_changes_after(self, mark: str) -> None:
        """The next listing holds only the entries created or edited after `mark` (a mark
        `change_mark` gave): syncitems from there, and getevents for those entries alone."""
        self._after, self._ids = mark, None

    def change_mark(self) -> str | None:
        """Where this client's last listing left the journal's list of changes."""
        return self._mark

    def fetch_post(self, ref: PostRef) -> Post | None:
        native = listing.one(self.transport, itemid_of(ref), journal=self.journal)
        return self._to_post(native) if native is not None else None

    def entry_ids(self) -> list[int]:
        """Every entry's item id, newest first (syncitems): a backup's entries not among them
        were deleted on the site."""
        self._ids = sorted(listing.sync_items(self.transport).entries, reverse=True)
        return list(self._ids)

    def post_count_caveat(self) -> str | None:
        """The pages' total is the entries syncitems lists: exactly the entries listed."""
        return None

    def stable_id(self) -> str:
        """The journal's user id, which stays when the journal is renamed (HasStableId)."""
        return f"{self._logged_in()['userid']}@{self.transport.host}"

    def fetch_profile(self) -> Profile:
        """The journal's name, display name, default userpic and every userpic with its keyword
        (login with getpickwurls)."""
        login = self._logged_in()
        url = self._journal_url(self.journal)
        avatar = login.get("defaultpicurl")
        words = [str(w) for w in login.get("pickws") or []]
        urls = [str(u) for u in login.get("pickwurls") or []]
        return Profile(
            platform=Platform.DREAMWIDTH,
            id=self.stable_id(),
            handle=self.journal,
            display_name=str(login.get("fullname") or ""),
            avatar=Media(MediaKind.IMAGE, str(avatar)) if avatar else None,
            url=url,
            pictures=tuple(
                Media(MediaKind.IMAGE, u, alt=w) for w, u in zip(words, urls, strict=False) if u
            ),
            raw=dict(login),
        )

    def fetch_media(self, media: Media) -> bytes:
        if not media.url:
            raise DataError("this media item has no URL to fetch")
        return self.transport.get(media.url, what="download media", counted="media").content

    # -- comments (HasCollections, UsesSavedEntries) ----------------------------------------

    def collections(self) -> tuple[Collection, ...]:
        return (Collection.COMMENTS,)

    def collections_unavailable(self) -> Mapping[Collection, str]:
        return {}

    def use_saved_entries(self, kind: Collection, saved: Sequence[Entry], *, full: bool) -> None:
        """The comments an earlier run kept: only new ones are read in full (`full`: all)."""
        if kind is not Collection.COMMENTS:
            return
        self._saved_comments = {int(e.id): e for e in saved if e.id.isdigit()}
        self._reread_comments = full
        for entry in saved:
            jitemid = entry.raw.get("jitemid")
            if entry.subject is not None and isinstance(jitemid, int) and jitemid:
                self._entries.setdefault(jitemid, entry.subject)

    def fetch_collection(self, kind: Collection, cursor: str | None = None) -> CollectionPage:
        """Every comment on the journal's entries, newest first, in one page: the metadata of
        all (states), the bodies of those not kept yet (comments.py says why)."""
        if kind is not Collection.COMMENTS:
            raise DataError(f"Dreamwidth has no {kind.label} to read")
        saved = self._saved_comments
        meta, records = comments.fetch_comments(
            self.transport, journal=self.journal,
            wanted=lambda m: m.comments if self._reread_comments else set(m.comments) - set(saved),
        )  # fmt: skip
        refs = self._entry_refs(int(r["jitemid"]) for r in records)
        found = {
            int(r["id"]): comment_read.to_entry(
                r, journal=self.journal, entry=refs.get(int(r["jitemid"])), people=self._person
            )
            for r in records
        }
        for cid, (posterid, state) in meta.comments.items():
            if cid not in found and cid in saved:
                person = self._person(posterid, meta.users.get(posterid, ""))
                found[cid] = comment_read.with_state(saved[cid], state, person)
        for cid, entry in saved.items():
            if cid not in meta.comments:
                found[cid] = comment_read.gone(entry)
        return CollectionPage([found[c] for c in sorted(found, reverse=True)])

    def _entry_refs(self, itemids: Iterable[int]) -> dict[int, PostRef]:
        """The refs of the entries of `itemids` (a comment names its entry by item id, the
        backup by ditemid): those not read this run are asked for, 100 a call."""
        wanted = set(itemids)
        missing = sorted(i for i in wanted if i not in self._entries)
        if missing:
            self._know(listing.events(self.transport, missing, journal=self.journal))
        return {i: self._entries[i] for i in wanted if i in self._entries}

    def _know(self, records: Iterable[Mapping[str, Any]]) -> None:
        for native in records:
            ref = self._ref(native)
            self._entries[int(native["itemid"])] = ref

    def _person(self, posterid: int, username: str) -> Person | None:
        if not posterid:
            return None  # anonymous
        return Person(
            f"{posterid}@{self.transport.host}", username, url=self._journal_url(username)
        )

    def _journal_url(self, username: str) -> str:
        if not self.account.service:
            return f"https://{username.replace('_', '-')}.dreamwidth.org/"
        return f"{self.transport.base_url}/~{username}"

    def _logged_in(self) -> dict[str, Any]:
        if self._login is None:
            self._login = self.transport.call(
                "login", {"getpickws": 1, "getpickwurls": 1}, what="sign in"
            )
        return self._login

    def _to_post(self, native: Mapping[str, Any]) -> Post:
        return to_post(native, account=self.journal)

    # -- writing -------------------------------------------------------------------------

    def publish(self, draft: Draft) -> PostRef:
        """postevent with the marker props; an unknown outcome is looked for before a retry, and
        the first post of a run is checked to be this draft's, not an entry the duplicate
        check handed back."""
        args = self._payload(draft)
        signature = _dupsig(args)
        if signature == self._last_sig:
            args = _distinct(args, draft)
        answer = self._post(args, draft)
        if isinstance(answer, PostRef):
            return answer
        ref = self._ref(answer)
        if self._last_sig is None:  # this run's first post: was it the duplicate check's?
            native = listing.one(self.transport, itemid_of(ref), journal=self.journal)
            if native is not None and not matches(native, draft):
                args = _distinct(args, draft)
                answer = self._post(args, draft)
                if isinstance(answer, PostRef):
                    return answer
                ref = self._ref(answer)
        self._last_sig = _dupsig(args)
        return ref

    def _post(self, args: dict[str, Any], draft: Draft) -> dict[str, Any] | PostRef:
        attempt = 0
        while True:
            try:
                return self.transport.call("postevent", args, what="publish", repeatable=False)
            except OutcomeUnknownError:
                found = self.find_published(draft)
                if found is not None:
                    return found
                self.retry.wait_or_fail("publish", "no answer, and no entry was made", attempt)
                attempt += 1

    def find_published(self, draft: Draft) -> PostRef | None:
        """The entry an earlier attempt at this draft left: its marker among the newest entries
        by item id (the order they were posted in, whatever date they carry)."""
        newest = self.entry_ids()[:FIND_WINDOW]
        for native in listing.events(self.transport, newest, journal=self.journal):
            if matches(native, draft):
                return self._ref(native)
        return None

    def delete(self, ref: PostRef) -> None:
        """editevent with an empty body; an entry already gone is not an error."""
        try:
            self.transport.call(
                "editevent", {"itemid": itemid_of(ref), "event": "", "subject": ""},
                what="delete",
            )  # fmt: skip
        except CallFault as fault:
            if fault.code != CANNOT_EDIT:
                raise

    def edit(self, ref: PostRef, draft: Draft) -> PostRef:
        """editevent with the whole entry: security and allowmask always sent (left out, the
        allowmask becomes 0, hiding the entry), the date only where the draft keeps one."""
        args = self._payload(draft)
        args.setdefault("security", "public")
        args.setdefault("allowmask", 0)
        if draft.created_at is None:
            for name in _DATE_FIELDS:
                args.pop(name, None)
        args["itemid"] = itemid_of(ref)
        try:
            answer = self.transport.call("editevent", args, what="edit")
        except CallFault as fault:
            if fault.code == CANNOT_EDIT:
                raise PlatformError(f"edit: entry {ref.id} is not in {self.journal}") from fault
            raise
        return self._ref(answer)

    def _payload(self, draft: Draft) -> dict[str, Any]:
        now = datetime.fromtimestamp(self.retry.clock(), UTC)
        args = dict(from_draft(draft, WriteContext(now=now)))
        props = dict(args.get("props") or {})
        props.update(marker_props(draft.origin, draft.idempotency_key))
        args["props"] = props
        return args

    def _ref(self, answer: Mapping[str, Any]) -> PostRef:
        itemid, anum = int(answer.get("itemid") or 0), int(answer.get("anum") or 0)
        if not itemid:
            raise PlatformError("Dreamwidth accepted the entry but returned no item id")
        ditemid = itemid * 256 + anum
        url = answer.get("url")
        return PostRef(Platform.DREAMWIDTH, self.journal, str(ditemid), str(url) if url else None)


def itemid_of(ref: PostRef) -> int:
    """The raw item id of an entry named by its ditemid (`itemid * 256 + anum`, as URLs use)."""
    try:
        return int(ref.id) // 256
    except ValueError:
        path = urlsplit(ref.url or "").path.rsplit("/", 1)[-1].removesuffix(".html")
        if path.isdigit():
            return int(path) // 256
        raise DataError(f"{ref.id!r} is not a Dreamwidth entry id") from None


def _cursor_id(cursor: str) -> int:
    value = cursor.removeprefix(_CURSOR)
    if not cursor.startswith(_CURSOR) or not value.isdigit():
        raise DataError(f"{cursor!r} is not a Dreamwidth listing cursor")
    return int(value)


def _dupsig(args: Mapping[str, Any]) -> str:
    """What Dreamwidth's duplicate check compares (postevent's dupsig, usejournal aside)."""
    parts = (str(args.get(k, "")) for k in ("subject", "event", "security", "allowmask"))
    return hashlib.md5("\x00".join(parts).encode("utf-8")).hexdigest()


def _distinct(args: dict[str, Any], draft: Draft) -> dict[str, Any]:
    """The same entry with an HTML comment at its end, which nobody sees and the duplicate check
    does: a draft whose text repeats the last entry's is posted, not answered with that entry."""
    digest = hashlib.sha256(draft.idempotency_key.encode("utf-8")).hexdigest()[:12]
    return {**args, "event": f"{args.get('event', '')}\n<!-- crosspost {digest} -->"}
