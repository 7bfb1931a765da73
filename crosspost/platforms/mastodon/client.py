"""MastodonClient: the PlatformClient for any server speaking the Mastodon client API.

https://docs.joinmastodon.org/methods/statuses/ (built on Mastodon.py,
https://mastodonpy.readthedocs.io/)

Reading goes through rawget.py's plain GETs; Mastodon.py (a fifth of a second to import) is
loaded for what only it does (writing, media, the instance and a status's source) and for an
error's type, when one is raised. So is each part of the client a run may not need (writing,
collections, edit history, the profile): an idle `crosspost sync` reads one page and stops.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crosspost.accounts import Account
from crosspost.errors import CredentialsError, PlatformError
from crosspost.model import Limits, Media, Post, PostRef, Visibility
from crosspost.platforms.base import Draft, LazyPosts, Page, RateScope, Reading, RetryPolicy
from crosspost.platforms.http_session import HttpSession
from crosspost.platforms.mastodon.identity import server_domain
from crosspost.platforms.mastodon.ratelimit import WINDOW, Limiter
from crosspost.platforms.mastodon.rawget import Connection, get_json
from crosspost.platforms.mastodon.read import plain_json, status_ref, to_post
from crosspost.platforms.retry import REQUEST_TIMEOUT, reading_of
from crosspost.platforms.spec import WriteContext

if TYPE_CHECKING:
    import requests
    from mastodon import Mastodon, MastodonAPIError

    from crosspost.account_data import Collection, CollectionPage, Profile
    from crosspost.platforms.mastodon.collections import CollectionReader
    from crosspost.platforms.mastodon.software import ServerSoftware

PAGE_SIZE = 40  # the most account_statuses returns
MEDIA_PATH = re.compile(r"/api/v\d+/media/?$")  # uploads, paced apart (ratelimit.api_window)
MEDIA_POLL_SECONDS = 2.0
MEDIA_POLL_ATTEMPTS = 30
FIND_PAGES = 2  # how far back find_published looks (80 statuses)

MediaSource = Callable[[Media], bytes]


class MastodonClient:
    """One Mastodon account. `retry` carries the injected clock and sleeper; `request_timeout`
    bounds each request's wait for an answer (a hung server then costs 4 tries of 30 s).
    `account_id`: the account's id on its server where an earlier run learnt it (see
    `use_saved_profile`): the statuses are then listed without looking the account up first."""

    def __init__(
        self,
        account: Account,
        access_token: str | None,
        *,
        retry: RetryPolicy | None = None,
        include_boosts: bool = False,
        media_source: MediaSource | None = None,
        session: requests.Session | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
        account_id: str | None = None,
    ) -> None:
        self.account = account
        self.include_boosts = include_boosts
        self.retry = retry or RetryPolicy()
        base_url = account.service or f"https://{server_domain(account)}"
        self.limiter = Limiter(self.retry, host=urlsplit(base_url).netloc or base_url)
        self._base_url = base_url
        self._request_timeout = request_timeout
        self._software: tuple[ServerSoftware, str | None] | None = None
        self._session = session or HttpSession()
        self._session.hooks["response"].append(self._remember)
        self._media_source = media_source or self._read_media
        self._signed_in = bool(access_token)
        self._connection = Connection(base_url, access_token or None, "crosspost", request_timeout)
        self._api: Mastodon | None = None
        self._server_limits: Limits | None = None
        self._me: Mapping[str, Any] | None = None
        self._known_id = account_id
        self._listed_account: Mapping[str, Any] | None = None  # as a page under the id shows it
        self._collection_reader: CollectionReader | None = None

    @property
    def api(self) -> Mastodon:
        """Mastodon.py on the same session, made on first use (reading needs none)."""
        if self._api is None:
            from mastodon import Mastodon

            connection = self._connection
            self._api = Mastodon(
                access_token=connection.access_token,
                api_base_url=connection.api_base_url,
                session=self._session,
                ratelimit_method="throw",  # we wait ourselves, with the injected sleeper
                version_check_mode="none",
                user_agent=connection.user_agent or "crosspost",
                request_timeout=connection.request_timeout,  # not Mastodon.py's 300 s
            )
        return self._api

    @api.setter
    def api(self, api: Mastodon) -> None:
        self._api = api

    def __repr__(self) -> str:  # never show the token
        return f"MastodonClient({self.account.spec!r})"

    @property
    def calls(self) -> int:
        """API calls made so far (retries included)."""
        return self.limiter.calls

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        upload = request.method == "POST" and MEDIA_PATH.match(urlsplit(request.url or "").path)
        self.limiter.seen(response.headers, bool(upload))

    def rate_keys(self) -> tuple[RateScope, ...]:
        """The budget the server counts these requests against (SharesRateBudgets): signed in,
        the account's (per token); reading as the public, this machine's address, which the
        server counts by and which every public reader on the same server shares."""
        if self._signed_in:
            return (RateScope("account", self.account.identity),)
        return (RateScope("ip", urlsplit(self._base_url).netloc or self._base_url),)

    def rate_readings(self) -> list[Reading]:
        (scope,) = self.rate_keys()
        reading = reading_of(scope, self.limiter.api, WINDOW)
        return [reading] if reading is not None else []

    def _call(self, what: str, function: Callable[[], Any]) -> Any:
        try:
            return self.limiter.call(what, function)
        except _mastodon().MastodonUnauthorizedError:
            raise CredentialsError(
                f"{self.account.name}: the server refused the access token; run "
                f"`crosspost login {self.account.name}` again"
            ) from None

    # --- limits ----------------------------------------------------------------------------

    def server_limits(self) -> Limits:
        """The server's own limits, from /api/v2/instance (v1 on older servers)."""
        if self._server_limits is None:
            from crosspost.platforms.mastodon.instance import limits_from_instance

            try:
                instance = self._call("read instance", self.api.instance_v2)
            except _mastodon().MastodonNotFoundError:
                instance = self._call("read instance", self.api.instance_v1)
            software = self.server_software()
            self._server_limits = limits_from_instance(plain_json(instance), software)
        return self._server_limits

    def server_software(self) -> ServerSoftware:
        """The software answering (nodeinfo, read once): GoToSocial, Pixelfed, Mastodon..."""
        if self._software is None:
            from crosspost.platforms.mastodon.software import fetch_software

            self._software = fetch_software(
                self._session, self._base_url, timeout=self._request_timeout
            )
        return self._software[0]

    def backdates(self, note: Callable[[str], object]) -> bool:
        """Whether this server keeps a post's original date (GoToSocial 0.18 and later); `note`
        hears, once, why the software could not be told (then: no, as on Mastodon)."""
        software = self.server_software()
        assert self._software is not None
        if self._software[1] is not None:
            note(self._software[1])
            self._software = (software, None)
        return software.backdates

    def sees(self, visibility: Visibility) -> bool:
        """Signed in as the account: all of its statuses; reading as the public: public and
        unlisted ones (followers-only and direct statuses answer 404)."""
        return self._signed_in or visibility in (Visibility.PUBLIC, Visibility.UNLISTED)

    def limits(self) -> Limits:
        """The room a fitted post may use: the server's limits less the origin marker."""
        from crosspost.platforms.mastodon.instance import reserve_marker

        return reserve_marker(self.server_limits())

    # --- reading ---------------------------------------------------------------------------

    def account_id(self) -> str:
        if self._me is None and self._known_id is not None:
            return self._known_id
        return str(self._account()["id"])

    def use_saved_profile(self, profile: Profile | None) -> None:
        """Take the account's id from the profile an earlier backup saved (its `raw` is the
        server's Account), so that listing its statuses needs no lookup. Call before reading."""
        from crosspost.platforms.mastodon.profile import saved_account_id

        if self._me is None:
            self._known_id = saved_account_id(profile) or self._known_id

    def _account(self) -> Mapping[str, Any]:
        """The account as the server describes it (read once): signed in, verify_credentials;
        reading as the public, /api/v1/accounts/lookup, which needs no login."""
        if self._me is None:
            if self._signed_in:
                me, _ = self._call(
                    "verify credentials",
                    lambda: self._get("/api/v1/accounts/verify_credentials"),
                )
            else:
                me = self._call("look up the account", self._lookup_account)
            if not isinstance(me, Mapping) or "id" not in me:
                raise PlatformError(f"{self.account.identity}: the answer is not an account")
            self._me = me
        return self._me

    def _lookup_account(self) -> Any:
        user = self.account.identity.partition("@")[0]
        try:
            return self._get("/api/v1/accounts/lookup", {"acct": user})[0]
        except _mastodon().MastodonNotFoundError:
            raise PlatformError(
                f"{self.account.identity}: no such account on {server_domain(self.account)}"
            ) from None

    def fetch_page(self, cursor: str | None = None) -> Page:
        """One page of up to 40 statuses, newest first; the cursor is the max_id of the next.

        The listing ends on an empty page only. Mastodon links a next page only when this one
        is full (`records_continue?`: as many statuses as asked for), and a page can come short
        with older statuses left: one deleted between the server's query for the page's ids and
        its loading of them is dropped from the page (`cache_collection`). So a page without
        a next link is followed from its oldest status; a whole listing costs one call more.
        The count comes from the account each page's statuses carry (`_note_owner`)."""
        statuses, linked = self._statuses_page(cursor)
        after = linked or (str(statuses[-1].get("id")) if statuses else None)
        posts = LazyPosts(statuses, partial(to_post, account=self.account.identity))
        return Page(posts, after if posts else None, self._statuses_count())

    def _statuses_page(self, cursor: str | None) -> tuple[list[Mapping[str, Any]], str | None]:
        """The statuses of one page, and the max_id its Link header names (None: no link)."""
        params: dict[str, Any] = {}  # in the order Mastodon.py sends them
        if not self.include_boosts:
            params["exclude_reblogs"] = "1"
        if cursor is not None:
            params["max_id"] = cursor
        params["limit"] = PAGE_SIZE
        statuses, after = self._read_statuses(params)
        listed = _statuses(statuses)
        self._note_owner(listed)
        return listed, after

    def _note_owner(self, statuses: list[Mapping[str, Any]]) -> None:
        """Keep the account as the page's own statuses show it: its statuses_count as the
        listing goes, so the count a backup keeps is the one at its last page, at no call."""
        known = self._listed_account or self._me
        if known is None:
            return
        for status in statuses:
            owner = status.get("account")
            if isinstance(owner, Mapping) and str(owner.get("id")) == str(known.get("id")):
                self._listed_account = owner
                return

    def _statuses_count(self) -> int | None:
        """About how many statuses the listing holds: the account's `statuses_count`. It counts
        every visibility, so it is given only signed in (as the public, followers-only statuses
        are not listed); it counts boosts too, so without them the listing may end short."""
        count = (self._listed_account or self._account()).get("statuses_count")
        return count if self._signed_in and isinstance(count, int) else None

    def post_count_caveat(self) -> str | None:
        """Why `statuses_count` (the pages' total) is not the number of statuses listed: Mastodon
        counts every status but direct ones (Status#increment_counter_caches), boosts included,
        in a counter it keeps beside them, not by counting them."""
        boosts = "" if self.include_boosts else "counts boosts, which this backup leaves out, "
        return (
            f"Mastodon's statuses_count {boosts}leaves out direct messages, which the backup "
            "keeps, and is a counter the server keeps, which can drift from the statuses it has"
        )

    def _read_statuses(self, params: Mapping[str, Any]) -> tuple[Any, str | None]:
        """One page of the account's statuses. An id known from an earlier run is trusted once
        a page shows the account's own statuses under it; a page that does not (the id is gone,
        or on this server names someone else) makes the client look the account up after all,
        so a stale id costs two requests more and never reads another account's statuses."""
        known = self._known_id if self._me is None else None
        answer: tuple[Any, str | None] | None = None
        if known is not None and self._listed_account is None:  # not confirmed yet
            try:
                answer = self._call("read statuses", lambda: self._get(_listing(known), params))
            except _mastodon().MastodonNotFoundError:
                pass
            if answer is not None and self._listed_by(known, answer[0]):
                return answer
            self._known_id = None
            if answer is not None and self.account_id() == known:
                return answer  # no status to tell by, and the lookup confirms the id
        endpoint = _listing(self.account_id())
        listed: tuple[Any, str | None] = self._call(
            "read statuses", lambda: self._get(endpoint, params)
        )
        return listed

    def _listed_by(self, account_id: str, statuses: Any) -> bool:
        """Whether `statuses` are this account's: each one's account has the id and the
        username of the account's handle (a username never changes on its server)."""
        if not isinstance(statuses, list) or not statuses:
            return False
        user = self.account.identity.partition("@")[0].casefold()
        for status in statuses:
            owner = status.get("account") if isinstance(status, Mapping) else None
            if not isinstance(owner, Mapping) or str(owner.get("id")) != account_id:
                return False
            if str(owner.get("username") or "").casefold() != user:
                return False
        self._listed_account = statuses[0]["account"]
        return True

    def fetch_post(self, ref: PostRef) -> Post | None:
        try:
            status, _ = self._call("read status", lambda: self._get(f"/api/v1/statuses/{ref.id}"))
        except _mastodon().MastodonNotFoundError:
            return None
        if not isinstance(status, Mapping):
            raise PlatformError(f"read status {ref.id}: the answer is not a status")
        return to_post(status, account=self.account.identity)

    def _get(
        self, endpoint: str, params: Mapping[str, Any] | None = None
    ) -> tuple[Any, str | None]:
        """Statuses as the server sent them: the native payload a backup keeps (rawget.py)."""
        return get_json(self._connection, self._session, endpoint, params or {})

    def fetch_source(self, ref: PostRef) -> tuple[str, str]:
        """The plain text and content warning as the author typed them (own statuses only)."""
        source = self._call("read status source", lambda: self.api.status_source(ref.id))
        return str(source.get("text") or ""), str(source.get("spoiler_text") or "")

    def fetch_media(self, media: Media) -> bytes:
        if not media.url:
            raise PlatformError("media has no URL to fetch")
        url = media.url
        response = self._call("fetch media", lambda: self._session.get(url, timeout=60))
        if response.status_code == 404:
            raise PlatformError(f"media {url} is gone (404)")
        response.raise_for_status()
        return bytes(response.content)

    # --- the account: profile, collections, edit history ----------------------------------

    def fetch_profile(self) -> Profile:
        from crosspost.platforms.mastodon.profile import profile_from_account

        return profile_from_account(self._account())

    def collections(self) -> tuple[Collection, ...]:
        from crosspost.platforms.mastodon.collections import LISTINGS

        hidden = self.collections_unavailable()
        return tuple(kind for kind in LISTINGS if kind not in hidden)

    def collections_unavailable(self) -> Mapping[Collection, str]:
        from crosspost.platforms.mastodon.collections import unavailable

        login = f"crosspost login {self.account.name}"
        return unavailable(self._account(), signed_in=self._signed_in, login=login)

    def fetch_collection(self, kind: Collection, cursor: str | None = None) -> CollectionPage:
        reason = self.collections_unavailable().get(kind)
        if reason is not None:
            raise PlatformError(f"{self.account.name}: {reason}")
        if self._collection_reader is None:
            from crosspost.platforms.mastodon.collections import CollectionReader

            self._collection_reader = CollectionReader(self._read, self.account_id)
        return self._collection_reader.fetch(kind, cursor)

    def fetch_history(self, ref: PostRef) -> Sequence[Post]:
        """The versions of one of the account's statuses, oldest first; [] when it is gone."""
        from crosspost.platforms.mastodon.history import history_to_posts

        try:
            status, _ = self._read("read status", f"/api/v1/statuses/{ref.id}", {})
            edits, _ = self._read("read edit history", f"/api/v1/statuses/{ref.id}/history", {})
        except _mastodon().MastodonNotFoundError:
            return []
        if not isinstance(status, Mapping) or not isinstance(edits, list):
            raise PlatformError(f"read edit history of {ref.id}: the answer is not a history")
        return history_to_posts(edits, status, account=self.account.identity)

    def _read(self, what: str, endpoint: str, params: Mapping[str, Any]) -> tuple[Any, str | None]:
        """One rate-limited GET of plain JSON; a token without the scope says so in a line."""
        try:
            result: tuple[Any, str | None] = self._call(what, lambda: self._get(endpoint, params))
        except _mastodon().MastodonAPIError as error:
            if isinstance(error, _mastodon().MastodonNotFoundError) or _status(error) != 403:
                raise
            raise PlatformError(
                f"{what} on {self.account.name}: refused ({_api_message(error)}), the access "
                f"token lacks the scope; run `crosspost login {self.account.name}` with read access"
            ) from None
        return result

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.retry.clock(), UTC)

    # --- writing ---------------------------------------------------------------------------

    def publish(self, draft: Draft) -> PostRef:
        """Post one draft; the Idempotency-Key makes a retry within the hour the same status."""
        from crosspost.platforms.mastodon.write import from_draft

        limits = self.server_limits()
        media_ids = self.upload_media(draft.media, limits)
        context = WriteContext(now=self._now(), limits=limits, uploads=tuple(media_ids))
        kwargs = from_draft(draft, context, self.server_software())
        status = self._write("publish", lambda: self.api.status_post(**kwargs))
        return status_ref(status, self.account.identity)

    def publish_thread(self, drafts: Sequence[Draft]) -> list[PostRef]:
        """Drafts as a thread: each after the first replies to the one before, in order."""
        refs: list[PostRef] = []
        for draft in drafts:
            if refs:
                draft = replace(draft, reply_to=refs[-1])
            refs.append(self.publish(draft))
        return refs

    def edit(self, ref: PostRef, draft: Draft, *, replace_media: bool = False) -> PostRef:
        """Edit a status in place (text, content warning, sensitive; media when asked)."""
        from crosspost.platforms.mastodon.write import update_kwargs

        limits = self.server_limits()
        kwargs = update_kwargs(draft, limits=limits)
        if replace_media:
            kwargs["media_ids"] = self.upload_media(draft.media, limits)
        status = self._write("edit", lambda: self.api.status_update(ref.id, **kwargs))
        return status_ref(status, self.account.identity)

    def delete(self, ref: PostRef) -> None:
        try:
            self._call("delete", lambda: self.api.status_delete(ref.id))
        except _mastodon().MastodonNotFoundError:
            return

    def find_published(self, draft: Draft) -> PostRef | None:
        """The status an earlier attempt left: same origin marker and same reply parent, among
        the account's latest statuses. Without an origin URL there is nothing to look for."""
        url = draft.origin.url if draft.origin else None
        if not url:
            return None
        parent = draft.reply_to.id if draft.reply_to else None
        cursor: str | None = None
        for _ in range(FIND_PAGES):  # the latest statuses only: a page without a link ends it
            statuses, cursor = self._statuses_page(cursor)
            for status in statuses:
                post = to_post(status, account=self.account.identity)
                if _marker_url(post) == url and (post.raw.get("in_reply_to_id") or None) == parent:
                    return post.ref
            if cursor is None or not statuses:
                break
        return None

    def _write(self, what: str, function: Callable[[], Any]) -> Mapping[str, Any]:
        try:
            result: Mapping[str, Any] = self._call(what, function)
        except _mastodon().MastodonAPIError as error:
            raise PlatformError(f"{what} on {self.account.name}: {_api_message(error)}") from None
        return result

    # --- media -----------------------------------------------------------------------------

    def upload_media(self, media: Sequence[Media], limits: Limits) -> list[str]:
        """Upload each item with its description, wait until processed; the media ids."""
        return [self._upload_one(item, limits) for item in media[: limits.max_media]]

    def _upload_one(self, item: Media, limits: Limits) -> str:
        data = self._media_source(item)
        alt = item.alt[: limits.max_alt_chars] if limits.max_alt_chars else item.alt
        self.limiter.pace_upload("upload media")
        attachment = self._write(
            "upload media",
            lambda: self.api.media_post(
                io.BytesIO(data),
                mime_type=item.mime or "application/octet-stream",
                description=alt or None,
                file_name=_file_name(item),
            ),
        )
        media_id = str(attachment["id"])
        for _ in range(MEDIA_POLL_ATTEMPTS):
            # A 202 answer has no url yet: the server is still processing the file.
            if attachment.get("url"):
                return media_id
            self.retry.sleep(MEDIA_POLL_SECONDS)
            attachment = self._write("wait for media", lambda: self.api.media(media_id))
        raise PlatformError(
            f"media {media_id} was still processing after "
            f"{MEDIA_POLL_SECONDS * MEDIA_POLL_ATTEMPTS:.0f} s; try again later"
        )

    def _read_media(self, media: Media) -> bytes:
        if media.local_path and Path(media.local_path).is_file():
            return Path(media.local_path).read_bytes()
        return self.fetch_media(media)


def _mastodon() -> ModuleType:
    """Mastodon.py, for its error types: an `except` clause names them only once an error is
    raised, so a run with none never imports Mastodon.py for them."""
    import mastodon

    return mastodon


def _listing(account_id: str) -> str:
    return f"/api/v1/accounts/{account_id}/statuses"


def _statuses(answer: Any) -> list[Mapping[str, Any]]:
    if not isinstance(answer, list) or not all(isinstance(s, Mapping) for s in answer):
        raise PlatformError("read statuses: the answer is not a list of statuses")
    return answer


def _marker_url(post: Post) -> str | None:
    if post.origin is not None:
        return post.origin.url
    # A marker whose URL shape is unknown is left in the text; look for it there.
    from crosspost.platforms.mastodon.marker import split_marker

    return split_marker(post.text)[1]


def _file_name(item: Media) -> str:
    ext = {"image/png": "png", "image/gif": "gif", "video/mp4": "mp4"}.get(item.mime or "", "jpg")
    return f"upload.{ext}"


def _status(error: MastodonAPIError) -> int | None:
    status = error.args[1] if len(error.args) > 1 else None
    return status if isinstance(status, int) else None


def _api_message(error: MastodonAPIError) -> str:
    parts = [str(a) for a in error.args[1:4] if a]
    return " ".join(parts) or str(error)
