"""BlueskyClient: the PlatformClient for one Bluesky account, on its own PDS: reads as plain
HTTP (xrpc.py, read_session.py), writes through the atproto SDK, which only they load.

https://docs.bsky.app/docs/api/at-protocol-xrpc-api (com.atproto.repo.*, com.atproto.sync.*)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import httpx

from crosspost.account_data import Collection, CollectionPage, Profile
from crosspost.accounts import Account
from crosspost.errors import CredentialsError, DataError, PlatformError
from crosspost.model import Limits, Media, MediaKind, Post, PostRef, Visibility
from crosspost.platforms.base import Draft, LazyPosts, Page, RateScope, Reading, RetryPolicy
from crosspost.platforms.bluesky.account_client import AccountReader
from crosspost.platforms.bluesky.identity import Identity, resolve_identity, resolve_pds
from crosspost.platforms.bluesky.limits import LIMITS as BLUESKY_LIMITS
from crosspost.platforms.bluesky.marker import marker_key
from crosspost.platforms.bluesky.media import prepare_image, sniff_mime
from crosspost.platforms.bluesky.read import to_post
from crosspost.platforms.bluesky.read_session import LOGIN, REFRESH, LoginFailedError, Tokens
from crosspost.platforms.bluesky.refs import POST_COLLECTION, split_uri
from crosspost.platforms.bluesky.repo_reader import PAGE_SIZE as PAGE_SIZE
from crosspost.platforms.bluesky.repo_reader import RepoReader, as_mapping
from crosspost.platforms.bluesky.tid import tid_from_key
from crosspost.platforms.bluesky.write import from_draft
from crosspost.platforms.bluesky.xrpc import ADDRESS_WINDOW, HOUR, WINDOW, CallError, Xrpc
from crosspost.platforms.retry import reading_of
from crosspost.platforms.spec import NO_SECRETS, SecretFields, SecretKeeper, WriteContext

if TYPE_CHECKING:
    from atproto_client.client.session import SessionEvent, SessionResponse

THUMB_MAX_BYTES = 1_000_000  # app.bsky.embed.external: thumb blob maxSize
JSON = "application/json"
# What a PDS answers when a session's tokens are no good: log in with the password once.
SESSION_REFUSED = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired"})


class BlueskyClient:
    """Reads need no login (the PDS serves any repo); writes log in once and keep the session."""

    def __init__(
        self,
        account: Account,
        *,
        credentials: SecretKeeper | None = None,
        retry: RetryPolicy | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        identity: Identity | None = None,
        transport: httpx.BaseTransport | None = None,
        load_media: Callable[[Media], bytes] | None = None,
        load_thumb: Callable[[str], bytes] | None = None,
        pds_of: Callable[[str], str | None] | None = None,
        snapshots: bool = True,
    ) -> None:
        self.account = account
        self._store = credentials or NO_SECRETS
        self._now = now
        retry = retry or RetryPolicy()
        self._identity = identity or resolve_identity(account, retry=retry)
        self.xrpc = Xrpc(self._identity.pds, retry, transport)
        self._load_media = load_media or _load_media
        self._load_thumb = load_thumb or _download
        self._logged_in = False
        self._tokens: Tokens | None = None  # the session signed-in reads use (no SDK)
        self.login_failure: str | None = None  # why logging in failed, once it has
        self.logins = 0
        self.repo = RepoReader(
            self.xrpc,
            self._identity.did,
            self._identity.pds,
            now=now,
            transport=transport,
            pds_of=pds_of or resolve_pds,
            snapshots=snapshots,
        )
        self._account_reader = AccountReader(self)

    @property
    def did(self) -> str:
        return self._identity.did

    @property
    def pds(self) -> str:
        return self._identity.pds

    def stable_id(self) -> str:
        """The account's DID: it stays when the handle changes (HasStableId)."""
        return self._identity.did

    def rate_keys(self) -> tuple[RateScope, ...]:
        """The PDS's limit per address, and the account's hourly and daily points of record
        writes (SharesRateBudgets), which an answer tells of only when they are the nearer."""
        return (
            RateScope("ip", self.xrpc.host),
            RateScope("account", self._identity.did, "perhour", told=False),
            RateScope("account", self._identity.did, "perday", told=False),
        )

    def rate_readings(self) -> list[Reading]:
        address, hourly, daily = self.rate_keys()
        readings = []
        for length, window in sorted(self.xrpc.windows.items()):
            scope = address if length <= ADDRESS_WINDOW else hourly if length <= HOUR else daily
            reading = reading_of(scope, window, f"{WINDOW} ({window.limit} per {length:.0f} s)")
            if reading is not None:
                readings.append(reading)
        return readings

    def sees(self, visibility: Visibility) -> bool:
        """Every Bluesky post is public: a repository holds nothing a reader cannot see."""
        return True

    def limits(self) -> Limits:
        return BLUESKY_LIMITS

    # --- session ---------------------------------------------------------------------------------

    def _ensure_session(self) -> None:
        """Sign in once per client: with the session an earlier run kept (its access token
        refreshed by the SDK, refreshSession, when it has expired), else with the password."""
        if self._logged_in:
            return
        from atproto_client.exceptions import AtProtocolError

        creds = self._store.require(self.account)
        sdk = self.xrpc.sdk
        sdk.on_session_change(lambda event, session: self._keep_session(event, session))
        saved = self._tokens.encode() if self._tokens else self._saved_session(creds)
        try:
            if saved:
                sdk.login(session_string=saved, fetch_bsky_profile=False)  # no call: an import
        except (ValueError, TypeError, AtProtocolError):
            saved = None  # a kept session that no longer reads: log in afresh
        if not saved:
            self._password_login(creds["app_password"])
        self._logged_in = True

    def _saved_session(self, creds: SecretFields) -> str | None:
        if isinstance(self._store, KeepsSessions):
            with contextlib.suppress(CredentialsError):
                kept = self._store.load_session(self.account)
                if kept and _session_of(kept) == self.did:
                    return kept
        return creds.get("session")  # where older versions kept it: beside the password

    def _password_login(self, password: str) -> None:
        self.logins += 1
        login = self.account.identity
        try:
            _sdk_call(
                self.xrpc,
                "log in",
                lambda: self.xrpc.sdk.login(login, password, fetch_bsky_profile=False),
            )
        except CallError as error:
            raise self._login_failed(error) from None

    def _login_failed(self, error: CallError) -> CallError:
        """A refused password says so, with what to do; other failures pass as they are."""
        if error.status not in (400, 401) or error.error not in SESSION_REFUSED | {None}:
            return error
        self.login_failure = (
            f"logging in to {self.xrpc.host} as {self.account.identity} failed ({error}); "
            f"store a new app password with `crosspost login {self.account.name}`"
        )
        return LoginFailedError(self.login_failure, status=error.status, error=error.error)

    def login_problem(self) -> str | None:
        """Why this client could not sign in, once a read or write tried (None: it could, or
        has not tried): a backup then kept only what the public can read."""
        return self.login_failure

    def _keep_session(self, event: SessionEvent, session: SessionResponse) -> None:
        """Keep a new or refreshed session for the next run, so a scheduled run (every few
        minutes) refreshes instead of logging in: createSession has tight limits."""
        from atproto_client.client.session import SessionEvent

        if event is SessionEvent.IMPORT:
            return
        self._save_session_text(self.xrpc.sdk.export_session_string())

    def _save_session_text(self, text: str) -> None:
        if isinstance(self._store, KeepsSessions):
            with contextlib.suppress(CredentialsError):  # unkept: the next run logs in
                self._store.save_session(self.account, text)
            return
        creds = self._store.load(self.account)
        if creds is None:
            return
        with contextlib.suppress(CredentialsError):
            self._store.save(self.account, {**creds.fields, "session": text})

    def can_sign_in(self) -> bool:
        """Whether credentials for the account are at hand (reading needs none)."""
        if self._logged_in:
            return True
        try:
            return self._store.load(self.account) is not None
        except CredentialsError:
            return False

    def _write(
        self,
        what: str,
        nsid: str,
        data: Any,
        settled: Callable[[], Mapping[str, Any] | None] | None = None,
    ) -> Mapping[str, Any]:
        """A procedure call with the session; an expired session logs in again once."""

        def run() -> Any:
            # The SDK serialises only its own models; a plain dict record goes as raw JSON.
            content = json.dumps(data, ensure_ascii=False).encode("utf-8")
            return self.xrpc.sdk.invoke_procedure(
                nsid, content=content, input_encoding=JSON, output_encoding=JSON
            ).content

        return as_mapping(self._signed_in(what, run, settled))

    def _signed_in(
        self, what: str, run: Callable[[], Any], settled: Callable[[], Any] | None = None
    ) -> Any:
        self._ensure_session()
        try:
            return _sdk_call(self.xrpc, what, run, settled)
        except CallError as error:
            if error.status not in (400, 401) or error.error not in SESSION_REFUSED:
                raise
        # The session was refused (its refresh token expired or revoked): log in once.
        creds = self._store.require(self.account)
        self._password_login(creds["app_password"])
        return _sdk_call(self.xrpc, what, run, settled)

    def query(
        self, what: str, nsid: str, params: Mapping[str, Any], *, signed_in: bool = False
    ) -> Any:
        """A query on the account's PDS; `signed_in` sends the session (App View calls)."""
        if not signed_in:
            return self.repo.query(what, nsid, params)
        tokens = self._read_tokens()
        try:
            return self.xrpc.get(what, nsid, params, headers=tokens.bearer())
        except CallError as error:
            if error.status not in (400, 401) or error.error not in SESSION_REFUSED:
                raise
        tokens = self._renew_tokens(tokens)  # the access token expired: refresh it, once
        return self.xrpc.get(what, nsid, params, headers=tokens.bearer())

    # --- the session of signed-in reads (plain HTTP, read_session.py) ----------------------------

    def _read_tokens(self) -> Tokens:
        """The session for a signed-in read: this client's, the writes' (when the SDK signed
        in), the one an earlier run kept, else a new one from the password."""
        if self._tokens is not None:
            return self._tokens
        if self.login_failure is not None:  # one refused password is enough for a run
            raise LoginFailedError(self.login_failure, status=401, error="AuthenticationRequired")
        creds = self._store.require(self.account)
        if self._logged_in:
            kept: str | None = self.xrpc.sdk.export_session_string()
        else:
            kept = self._saved_session(creds)
        tokens = Tokens.decode(kept) if kept else None
        if tokens is None or tokens.did != self.did:
            tokens = self._plain_login(creds["app_password"])
        self._tokens = tokens
        return tokens

    def _plain_login(self, password: str) -> Tokens:
        self.logins += 1
        body = {"identifier": self.account.identity, "password": password}
        try:
            answer = self.xrpc.post("log in", LOGIN, body)
        except CallError as error:
            raise self._login_failed(error) from None
        return self._took(Tokens.from_answer(as_mapping(answer), self.pds))

    def _renew_tokens(self, tokens: Tokens) -> Tokens:
        """New tokens from the refresh token, else (it expired or was revoked) the password."""
        try:
            refresh = tokens.bearer(refresh=True)
            answer = self.xrpc.post("refresh the session", REFRESH, None, refresh)
            renewed = self._took(Tokens.from_answer(as_mapping(answer), self.pds))
        except CallError as error:
            if error.status not in (400, 401):
                raise
            renewed = self._plain_login(self._store.require(self.account)["app_password"])
        self._tokens = renewed
        return renewed

    def _took(self, tokens: Tokens) -> Tokens:
        self._save_session_text(tokens.encode())  # the next run refreshes instead of logging in
        return tokens

    # --- writing ---------------------------------------------------------------------------------

    def rkey_for(self, draft: Draft) -> str:
        """The draft's record key, from the source post alone: a TID at the kept date (a
        migration, so the repo lists in date order), else at `key_time` (for a sync mirror the
        source's own date, recent, so an incremental backup still sees it), else drawn from the
        key's hash; the clock id is the hash of the idempotency key (see tid.py). Nothing of the
        run goes in, so the same draft has the same key on every retry and after a lost ledger."""
        return tid_from_key(draft.idempotency_key, draft.created_at or draft.key_time)

    def publish(self, draft: Draft) -> PostRef:
        """Create the record under the draft's key. A key already taken (a retry after a crash,
        a run with a lost ledger) makes the PDS refuse the create (it answers 500): the record
        already there, when it mirrors the same draft, is returned and nothing is written; a
        500 with no record at the key is a server error, tried again like any other."""
        rkey = self.rkey_for(draft)
        self._ensure_session()
        draft = self._with_cids(draft)
        blobs = [self._upload(media) for media in draft.media]
        record = from_draft(
            Draft(**{**_fields(draft), "media": tuple(m for m, _ in blobs)}),
            WriteContext(
                now=self._now(), uploads=tuple(blob for _, blob in blobs), thumb=self._thumb(draft)
            ),
        )
        body = {"repo": self.did, "collection": POST_COLLECTION, "rkey": rkey, "record": record}

        def settled() -> Mapping[str, Any] | None:
            ref = self._existing(draft, rkey)
            return None if ref is None else {"uri": ref.id, "cid": ref.cid}

        out = self._write("publish", "com.atproto.repo.createRecord", body, settled)
        return self._ref(str(out["uri"]), str(out["cid"]))

    def _existing(self, draft: Draft, rkey: str) -> PostRef | None:
        """The record at the draft's key, when there is one and it mirrors this draft (its
        origin marker names the same idempotency key; without a marker, the same text)."""
        uri = f"at://{self.did}/{POST_COLLECTION}/{rkey}"
        found = self._get_record(uri)
        if found is None:
            return None
        value = found.get("value")
        held = value if isinstance(value, Mapping) else {}
        key = marker_key(held)
        if key != (draft.idempotency_key if draft.origin is not None else None) or (
            key is None and held.get("text") != draft.text.text
        ):
            raise PlatformError(
                f"publish: the record key {rkey} already holds another post ({uri}); "
                "nothing was written (delete that record, or report this as a bug)"
            )
        return self._ref(uri, str(found["cid"]))

    def _ref(self, uri: str, cid: str | None) -> PostRef:
        return to_post({"uri": uri, "cid": cid, "value": {}}, account=self._identity.did).ref

    def _with_cids(self, draft: Draft) -> Draft:
        changes = {
            name: self._strong(ref)
            for name in ("reply_to", "thread_root", "quote_of")
            if (ref := getattr(draft, name)) is not None and not ref.cid
        }
        return draft.__class__(**{**_fields(draft), **changes}) if changes else draft

    def _strong(self, ref: PostRef) -> PostRef:
        record = self._get_record(ref.id)
        if record is None:
            raise PlatformError(f"{ref.id} is gone; cannot reply to or quote it")
        return PostRef(ref.platform, ref.account, ref.id, ref.url, str(record["cid"]))

    def _upload(self, media: Media) -> tuple[Media, dict[str, Any]]:
        data = self._load_media(media)
        if media.kind in (MediaKind.IMAGE, MediaKind.GIF):
            limit = BLUESKY_LIMITS.max_image_bytes or 2_000_000
            prepared = prepare_image(data, limit)
            data, mime = prepared.data, prepared.mime
            media = Media(**{**_fields(media), "width": prepared.width, "height": prepared.height})
        else:
            mime = sniff_mime(data) or media.mime or "application/octet-stream"
        return media, self._upload_blob("upload media", data, mime)

    def _thumb(self, draft: Draft) -> dict[str, Any] | None:
        """The link card's thumbnail, uploaded, where the record will carry the card (no media
        and no quote take the embed's place). A thumbnail that cannot be had leaves it out."""
        card = draft.link_card
        if card is None or not card.thumb_url or draft.media or draft.quote_of is not None:
            return None
        try:
            prepared = prepare_image(self._load_thumb(card.thumb_url), THUMB_MAX_BYTES)
        except (DataError, PlatformError):
            return None  # a card without its picture is still a card
        return self._upload_blob("upload link card thumbnail", prepared.data, prepared.mime)

    def _upload_blob(self, what: str, data: bytes, mime: str) -> dict[str, Any]:
        sdk = self.xrpc.sdk
        out = self._signed_in(
            what,
            lambda: (
                sdk.invoke_procedure(
                    "com.atproto.repo.uploadBlob",
                    content=data,  # raw bytes; httpx deprecates them as `data=`
                    input_encoding=mime,
                    output_encoding=JSON,
                ).content
            ),
        )
        return dict(as_mapping(out)["blob"])

    def find_published(self, draft: Draft) -> PostRef | None:
        return self._existing(draft, self.rkey_for(draft))

    def delete(self, ref: PostRef) -> None:
        _, collection, rkey = split_uri(ref.id)
        if not rkey:
            raise PlatformError(f"{ref.id} is not a Bluesky record URI")
        body = {"repo": self.did, "collection": collection, "rkey": rkey}
        self._write("delete", "com.atproto.repo.deleteRecord", body)

    # --- reading ---------------------------------------------------------------------------------

    def _get_record(self, uri: str) -> Mapping[str, Any] | None:
        return self.repo.get_record(uri)

    def post_count_caveat(self) -> str | None:
        """The pages' total counts the post records of one repo snapshot: all of them, as the
        listing gives them, but a record this version cannot read is skipped (and counted so
        in the backup's summary), so the count is an upper bound."""
        return (
            "it counts every post record in the repo, also any this version could not read "
            "(the backup's summary counts those as skipped)"
        )

    def fetch_page(self, cursor: str | None = None, collection: str = POST_COLLECTION) -> Page:
        """One page (100 records, newest key first) of the account's own repo: the first from
        listRecords, the later ones from one getRepo snapshot (see RepoReader.list_records)."""
        items, next_cursor = self.repo.list_records(collection, cursor, fresh=True)
        # Once the whole repo is at hand (a listing past its first page), its count of posts
        # ends the progress bar; the first page costs no call for it.
        total = self.repo.snapshot_count(collection)
        return Page(LazyPosts(items, self._to_post), next_cursor, total=total)

    def fetch_post(self, ref: PostRef) -> Post | None:
        record = self._get_record(ref.id)
        return None if record is None else self._to_post(record)

    def _to_post(self, item: Mapping[str, Any]) -> Post:
        return to_post(item, account=self._identity.did, service=self._identity.pds)

    def fetch_media(self, media: Media) -> bytes:
        return self.repo.fetch_blob(media)

    def fetch_repo(self, since: str | None = None) -> bytes:
        """The repo as a CAR file (com.atproto.sync.getRepo), e.g. for `read_car`; with `since`
        only the blocks written after that revision (see RepoReader.fetch_repo)."""
        return self.repo.fetch_repo(since)

    # --- profile and collections (account_client.py) ---------------------------------------------

    def fetch_profile(self) -> Profile:
        """The profile record, handle and DID (HasProfile); the PDS alone serves them."""
        return self._account_reader.fetch_profile()

    def collections(self) -> tuple[Collection, ...]:
        return self._account_reader.collections()

    def collections_unavailable(self) -> Mapping[Collection, str]:
        return self._account_reader.collections_unavailable()

    def fetch_collection(self, kind: Collection, cursor: str | None = None) -> CollectionPage:
        return self._account_reader.fetch_collection(kind, cursor)


@runtime_checkable
class KeepsSessions(Protocol):
    """A secrets store that keeps a login session apart from the credentials (`Secrets`): it
    works when the credentials come from the environment, where nothing can be written back."""

    def load_session(self, account: Account) -> str | None: ...

    def save_session(self, account: Account, session: str) -> None: ...


def _sdk_call(
    xrpc: Xrpc, what: str, fn: Callable[[], Any], settled: Callable[[], Any] | None = None
) -> Any:
    from crosspost.platforms.bluesky.sdk_calls import sdk_call

    return sdk_call(xrpc, what, fn, settled)


def _session_of(text: str) -> str | None:
    """The DID a kept session string belongs to (None: it does not read)."""
    tokens = Tokens.decode(text)
    return tokens.did if tokens is not None else None


def _fields(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__slots__}


def _load_media(media: Media) -> bytes:
    """Media bytes from a local file, else downloaded from its URL."""
    if media.local_path and Path(media.local_path).is_file():
        return Path(media.local_path).read_bytes()
    if not media.url:
        raise DataError("a media item has neither a local file nor a URL")
    return _download(media.url)


def _download(url: str) -> bytes:
    try:
        response = httpx.get(url, timeout=60.0, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise PlatformError(f"cannot download {url}: {type(error).__name__}") from None
    return response.content
