"""mastodon-mock answering an account's collections as Mastodon itself does.

mastodon-mock serves every endpoint the collections need, but not in Mastodon's shapes
(https://docs.joinmastodon.org/methods/favourites/ , /bookmarks/ , /blocks/ , /mutes/ ,
/lists/#accounts , /accounts/#following):
- favourites and bookmarks page by status id and in status order; Mastodon orders them by the
  favourite (bookmark) record, newest first, and its Link header's max_id is that record's id,
  which no answer carries (the docs' example: `favourites?limit=2&max_id=23716836`);
- follows page by account id; Mastodon by the follow record, also up to 80 a page;
- blocks, mutes and list members come whole, without a Link header; Mastodon pages them by
  the block (mute, list membership) record, and a mute carries `mute_expires_at`;
- follows of an account that hides them are shown to everyone (`hide_collections`);
- an account without an avatar or header gets a generated identicon, where Mastodon answers
  `/avatars/original/missing.png` (as the Mastodon.py cassettes recorded from a real server);
- an edit history's last version has no media or poll;
- update_credentials ignores `hide_collections`, and drops avatar and header uploads (it checks
  them against FastAPI's UploadFile, a subclass of the Starlette one a form holds);
- a new status is counted with `len()` and its mentions and hashtags are left as plain text;
  while `serving` runs, statuses are counted, linked and rendered as Mastodon does
  (tests/mastodon_text.py): linked mentions of known accounts only, with their notifications;
- its opt-in rate limit counts per token only and says the reset in epoch seconds; `ApiLimits`
  counts API requests as Mastodon does, per token or, without one, per address, and every answer
  carries X-RateLimit-* as Mastodon's (reset in ISO 8601 to the microsecond); past the limit it
  answers 429 as Mastodon does (the same headers, no Retry-After).
`extend(app)` puts routes answering in Mastodon's shapes ahead of the mock's own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from mastodon_mock.db.models import (
    Account,
    Bookmark,
    Favourite,
    Relationship,
    Status,
    StatusMention,
    StatusTag,
    UserListAccount,
)
from mastodon_mock.deps import Config, CurrentAccount, DbSession, RequiredAccount
from mastodon_mock.pagination import Page, coerce_cursor, link_header
from mastodon_mock.routers.helpers import PageQuery
from mastodon_mock.serializers import accounts as account_serializer
from mastodon_mock.serializers.accounts import serialize_account
from mastodon_mock.serializers.common import iso
from mastodon_mock.serializers.statuses import serialize_status, serialize_status_list
from sqlalchemy import Select, asc, desc, select
from sqlalchemy.orm import InstrumentedAttribute
from starlette.datastructures import UploadFile

from tests import mastodon_text
from tests.backup_mastodon import HOST, Mock, free_port

router = APIRouter()


def _page(
    db: Any,
    query: Select[Any],
    column: InstrumentedAttribute[Any],
    params: Any,
    *,
    default: int,
    maximum: int,
) -> Page:
    """Mastodon's paging by a record id: max_id and since_id bound it, min_id reads upwards;
    limit 0 (list members only) means all at once."""
    limit = default if params.limit is None else min(int(params.limit), maximum)
    if (max_id := coerce_cursor(params.max_id)) is not None:
        query = query.where(column < max_id)
    if (since_id := coerce_cursor(params.since_id)) is not None:
        query = query.where(column > since_id)
    min_id = coerce_cursor(params.min_id)
    if min_id is not None:
        query = query.where(column > min_id).order_by(asc(column))
    else:
        query = query.order_by(desc(column))
    rows = list(db.scalars(query.limit(limit) if limit > 0 else query).all())
    if min_id is not None:
        rows.reverse()
    ids = [int(getattr(row, column.key)) for row in rows]
    more = limit > 0 and len(rows) == limit
    return Page(rows, limit, ids[0] if ids else None, ids[-1] if ids else None, more)


def _link(request: Request, response: Response, page: Page) -> None:
    header = link_header(f"{request.url.scheme}://{request.url.netloc}{request.url.path}", page)
    if header:
        response.headers["Link"] = header


def _statuses_by_record(
    model: type[Favourite] | type[Bookmark],
    request: Request,
    response: Response,
    db: Any,
    config: Any,
    account: Any,
    params: Any,
) -> list[dict[str, Any]]:
    query = select(model).where(model.account_id == account.id)
    page = _page(db, query, model.id, params, default=20, maximum=40)
    _link(request, response, page)
    statuses = [db.get(Status, row.status_id) for row in page.items]
    return serialize_status_list(db, statuses, config, account, filter_context="home")


@router.get("/api/v1/favourites")
def favourites(
    request: Request,
    response: Response,
    db: DbSession,
    config: Config,
    account: RequiredAccount,
    params: PageQuery,
) -> list[dict[str, Any]]:
    return _statuses_by_record(Favourite, request, response, db, config, account, params)


@router.get("/api/v1/bookmarks")
def bookmarks(
    request: Request,
    response: Response,
    db: DbSession,
    config: Config,
    account: RequiredAccount,
    params: PageQuery,
) -> list[dict[str, Any]]:
    return _statuses_by_record(Bookmark, request, response, db, config, account, params)


def _accounts_by_relationship(
    condition: Any,
    pick: Callable[[Relationship], int],
    request: Request,
    response: Response,
    db: Any,
    config: Any,
    params: Any,
) -> list[Any]:
    page = _page(
        db, select(Relationship).where(condition), Relationship.id, params, default=40, maximum=80
    )
    _link(request, response, page)
    return [(row, db.get(Account, pick(row))) for row in page.items]


def _graph(
    account_id: str,
    followers: bool,
    request: Request,
    response: Response,
    db: Any,
    config: Any,
    viewer: Any,
    params: Any,
) -> list[dict[str, Any]]:
    owner = db.get(Account, int(account_id))
    if owner is None:
        response.status_code = 404
        return []
    if owner.hide_collections and (viewer is None or viewer.id != owner.id):
        return []
    if followers:
        condition = (Relationship.target_account_id == owner.id) & Relationship.following
        pairs = _accounts_by_relationship(
            condition, lambda r: r.source_account_id, request, response, db, config, params
        )
    else:
        condition = (Relationship.source_account_id == owner.id) & Relationship.following
        pairs = _accounts_by_relationship(
            condition, lambda r: r.target_account_id, request, response, db, config, params
        )
    return [serialize_account(db, other, config) for _, other in pairs]


@router.get("/api/v1/accounts/{account_id}/followers")
def followers(
    account_id: str,
    request: Request,
    response: Response,
    db: DbSession,
    config: Config,
    viewer: CurrentAccount,
    params: PageQuery,
) -> list[dict[str, Any]]:
    return _graph(account_id, True, request, response, db, config, viewer, params)


@router.get("/api/v1/accounts/{account_id}/following")
def following(
    account_id: str,
    request: Request,
    response: Response,
    db: DbSession,
    config: Config,
    viewer: CurrentAccount,
    params: PageQuery,
) -> list[dict[str, Any]]:
    return _graph(account_id, False, request, response, db, config, viewer, params)


@router.get("/api/v1/blocks")
def blocks(
    request: Request,
    response: Response,
    db: DbSession,
    config: Config,
    account: RequiredAccount,
    params: PageQuery,
) -> list[dict[str, Any]]:
    condition = (Relationship.source_account_id == account.id) & Relationship.blocking
    pairs = _accounts_by_relationship(
        condition, lambda r: r.target_account_id, request, response, db, config, params
    )
    return [serialize_account(db, other, config) for _, other in pairs]


@router.get("/api/v1/mutes")
def mutes(
    request: Request,
    response: Response,
    db: DbSession,
    config: Config,
    account: RequiredAccount,
    params: PageQuery,
) -> list[dict[str, Any]]:
    condition = (Relationship.source_account_id == account.id) & Relationship.muting
    pairs = _accounts_by_relationship(
        condition, lambda r: r.target_account_id, request, response, db, config, params
    )
    return [
        {**serialize_account(db, other, config), "mute_expires_at": iso(row.muting_expires_at)}
        for row, other in pairs
    ]


@router.get("/api/v1/lists/{list_id}/accounts")
def list_accounts(
    list_id: str,
    request: Request,
    response: Response,
    db: DbSession,
    config: Config,
    account: RequiredAccount,
    params: PageQuery,
) -> list[dict[str, Any]]:
    query = select(UserListAccount).where(UserListAccount.list_id == int(list_id))
    page = _page(db, query, UserListAccount.id, params, default=40, maximum=80)
    _link(request, response, page)
    members = [db.get(Account, row.account_id) for row in page.items]
    return [serialize_account(db, member, config) for member in members if member is not None]


@router.get("/api/v1/statuses/{status_id}/history")
def history(
    status_id: str, response: Response, db: DbSession, config: Config, viewer: CurrentAccount
) -> list[dict[str, Any]]:
    status = db.get(Status, int(status_id))
    if status is None:
        response.status_code = 404
        return []
    now = serialize_status(db, status, config, viewer)
    author = serialize_account(db, status.account, config)
    versions = [*(status.edit_history or []), {}]
    out = []
    for index, snapshot in enumerate(versions):
        last = index == len(versions) - 1
        source = now if last else snapshot
        version = {
            "content": source.get("content", ""),
            "spoiler_text": source.get("spoiler_text", ""),
            "sensitive": source.get("sensitive", False),
            "created_at": now["edited_at"] or now["created_at"] if last else source["created_at"],
            "account": author,
            "media_attachments": now["media_attachments"] if last else [],
            "emojis": [],
        }
        if last and now.get("poll"):
            version["poll"] = {"options": [{"title": o["title"]} for o in now["poll"]["options"]]}
        out.append(version)
    return out


@router.patch("/api/v1/accounts/update_credentials")
async def update_credentials(
    request: Request, db: DbSession, config: Config, account: RequiredAccount
) -> dict[str, Any]:
    from mastodon_mock.routers.accounts import update_credentials as mock_update

    form = await request.form()  # parsed once: the mock's own handler reads the same form
    if (hide := form.get("hide_collections")) is not None:
        account.hide_collections = str(hide).lower() in ("true", "1", "on")
    for kind in ("avatar", "header"):
        upload = form.get(kind)
        if isinstance(upload, UploadFile):
            folder = Path(request.app.state.media_path) / "profile"
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{kind}_{account.id}{Path(upload.filename or '').suffix or '.png'}"
            (folder / name).write_bytes(await upload.read())
            url = f"{request.url.scheme}://{request.url.netloc}/media/profile/{name}"
            setattr(account, f"{kind}_url", url)
    db.commit()
    return await mock_update(request, db, config, account)


def extend(app: FastAPI) -> None:
    """Put the routes above ahead of mastodon-mock's own (the first route that matches wins)."""
    before = len(app.router.routes)
    app.include_router(router)
    added = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[0:0] = added


@dataclass
class ApiLimits:
    """API requests counted as Mastodon counts them (config/initializers/rack_attack.rb:
    `throttle_per_token_api` 300 per 5 minutes per access token, `throttle_unauthenticated_api`
    300 per 5 minutes per address), in fixed windows of `period` seconds; generous unless a test
    narrows them. The headers are Mastodon's (app/controllers/concerns/api/rate_limit_headers.rb):
    X-RateLimit-Limit, -Remaining and -Reset, the end of the window plus the request's fraction of
    a second, in ISO 8601 to the microsecond; a request past the limit gets Mastodon's 429 (the
    same headers, remaining 0, and {"error": "Too many requests"})."""

    per_window: int = 1_000_000
    period: int = 300
    counts: dict[tuple[str, int], int] = field(default_factory=dict)  # who, window -> requests
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, who: str, now: float) -> tuple[bool, dict[str, str]]:
        with self.lock:
            window = int(now) // self.period
            used = self.counts.get((who, window), 0) + 1
            self.counts[(who, window)] = used
            served = used <= self.per_window
            self.refused += not served
        reset = now + (self.period - int(now) % self.period)
        return served, {
            "X-RateLimit-Limit": str(self.per_window),
            "X-RateLimit-Remaining": str(max(self.per_window - used, 0)),
            "X-RateLimit-Reset": datetime.fromtimestamp(reset, UTC).strftime(
                "%Y-%m-%dT%H:%M:%S.%fZ"
            ),
        }

    def most(self) -> int:
        """The most requests one token (or address) made in one window, refused ones included."""
        with self.lock:
            return max(self.counts.values(), default=0)


def limit_requests(app: FastAPI, limits: ApiLimits) -> None:
    """Count every API request against `limits` (the mock's own /api/v1/_mock controls aside)."""

    @app.middleware("http")
    async def _limit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if not path.startswith("/api/") or path.startswith("/api/v1/_mock"):
            return await call_next(request)
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        address = request.client.host if request.client else "unknown"
        served, headers = limits.count(f"token {token}" if token else f"ip {address}", time.time())
        if not served:
            response: Response = JSONResponse({"error": "Too many requests"}, status_code=429)
        else:
            response = await call_next(request)
        for name, value in headers.items():
            if name not in response.headers:  # a fault rule's own headers stay
                response.headers[name] = value
        return response


def _missing(kind: str) -> Callable[..., str]:
    def url(config_domain: str, seed: str, *, scheme: str = "https") -> str:
        return f"{scheme}://{config_domain}/{kind}/original/missing.png"

    return url


def _validate_status(params: dict[str, Any]) -> Any:
    """mastodon-mock's checks, with Mastodon's count in place of `len()`."""
    from mastodon_mock.routers.helpers import validation_error
    from mastodon_mock.serializers.instance import MAX_MEDIA_ATTACHMENTS

    text = str(params.get("status") or "")
    media = params.get("media_ids")
    media_count = len(media) if isinstance(media, list) else (1 if media else 0)
    if not text.strip() and not media_count and not isinstance(params.get("poll"), dict):
        return validation_error("Validation failed: Text can't be blank")
    if mastodon_text.length(text, str(params.get("spoiler_text") or "")) > (
        mastodon_text.MAX_CHARACTERS
    ):
        return validation_error(mastodon_text.TOO_LONG)
    if media_count > MAX_MEDIA_ATTACHMENTS:
        return validation_error(
            "Validation failed: Media attachments count is too high "
            f"(maximum is {MAX_MEDIA_ATTACHMENTS})"
        )
    return None


def _text_rules(base_url: str, domain: str) -> Callable[[Any, int, int, str], list[Account]]:
    """mastodon-mock's `attach_mentions_and_tags` as Mastodon reads a status: it also writes
    the status's `content`, and returns the accounts to notify."""

    def lookup(session: Any) -> mastodon_text.Lookup:
        def find(user: str, host: str | None) -> mastodon_text.Person | None:
            local = host is None or host.lower() == domain.partition(":")[0]
            query = select(Account).where(Account.username.ilike(user))
            query = query.where(Account.domain.is_(None) if local else Account.domain == host)
            account = session.scalar(query)
            if account is None:
                return None
            acct = account.username if local else f"{account.username}@{account.domain}"
            return mastodon_text.Person(account.id, account.username, acct, f"{base_url}/@{acct}")

        return find

    def attach(session: Any, status_id: int, account_id: int, text: str) -> list[Account]:
        found = mastodon_text.entities(text, lookup(session))
        status = session.get(Status, status_id)
        status.content = mastodon_text.render(text, found, base_url)
        mentioned: dict[int, Account] = {}
        tags: list[str] = []
        for entity in found:
            if entity.person is not None and entity.person.id != account_id:
                mentioned.setdefault(entity.person.id, session.get(Account, entity.person.id))
            elif entity.kind == "hashtag" and entity.value.lower() not in tags:
                tags.append(entity.value.lower())
        for person in mentioned.values():
            session.add(StatusMention(status_id=status_id, account_id=person.id))
        for name in tags:
            session.add(StatusTag(status_id=status_id, name=name))
        return list(mentioned.values())

    return attach


@contextmanager
def _text_as_mastodon(base_url: str, domain: str) -> Iterator[None]:
    from mastodon_mock.routers import statuses

    saved = {
        name: getattr(statuses, name)
        for name in ("_validate_status_params", "attach_mentions_and_tags")
    }
    setattr(statuses, "_validate_status_params", _validate_status)  # noqa: B010
    setattr(statuses, "attach_mentions_and_tags", _text_rules(base_url, domain))  # noqa: B010
    try:
        yield
    finally:
        for name, original in saved.items():
            setattr(statuses, name, original)


@contextmanager
def serving(
    media_dir: Path,
    port: int | None = None,
    seed: Any = None,
    limits: ApiLimits | None = None,
) -> Iterator[Mock]:
    """mastodon-mock extended by `extend`, on `port` (a free one by default), its accounts from
    `seed` (a mastodon_mock SeedConfig; default: alice, bob, carol and dave), its API requests
    counted against `limits` (generous ones by default)."""
    import uvicorn
    from mastodon_mock.app import create_app
    from mastodon_mock.config import DatabaseConfig, MastodonMockConfig
    from mastodon_mock.testing.seed import DEFAULT_TEST_SEED

    port = port or free_port()
    config = MastodonMockConfig(
        domain=f"{HOST}:{port}",
        url_scheme="http",
        media_storage_path=str(media_dir),
        database=DatabaseConfig(path=":memory:"),
        seed=DEFAULT_TEST_SEED if seed is None else seed,
    )
    app = create_app(config)
    extend(app)
    limit_requests(app, limits or ApiLimits())
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning"))
    # Mastodon's own stand-ins for an avatar and header never chosen, while this server runs.
    placeholders = {"placeholder_avatar": "avatars", "placeholder_header": "headers"}
    saved = {name: getattr(account_serializer, name) for name in placeholders}
    for name, kind in placeholders.items():
        setattr(account_serializer, name, _missing(kind))
    thread = threading.Thread(target=server.run, daemon=True)
    rules = _text_as_mastodon(f"http://{HOST}:{port}", f"{HOST}:{port}")
    rules.__enter__()
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"mastodon-mock did not start on port {port}")
            time.sleep(0.02)  # waiting for a real server thread, not test time
        yield Mock(f"http://{HOST}:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        rules.__exit__(None, None, None)
        for name, original in saved.items():
            setattr(account_serializer, name, original)
