"""A GoToSocial-shaped and a Pixelfed-shaped server: mastodon-mock (as extended in
tests/mastodon_account_server.py) answering nodeinfo, the instance and the write endpoints as
each of them does. Shapes from their own source:

GoToSocial (superseriousbusiness/gotosocial): `/.well-known/nodeinfo` links 2.0 and 2.1
(internal/processing/fedi/wellknown.go, software.name "gotosocial"); the v2 instance says 5000
characters, 6 attachments, 25 per URL (internal/config/defaults.go, typeutils); POST
/api/v1/statuses with a `scheduled_at` in the past creates the status at that date and tells
no one (no streaming event), refuses it where backdating is off, for a poll, a reply to someone
else or a time at or before the UNIX epoch, and refuses a time less than 5 minutes ahead
(internal/processing/status/create.go). Its ULIDs sort by the date; this server's ids do not.

Pixelfed (pixelfed/pixelfed): `/.well-known/nodeinfo` links one 2.0 document at
/api/nodeinfo/2.0.json (app/Util/Site/Nodeinfo.php); the v2 instance says 500 characters and 4
attachments and no alt-text limit (ApiV2Controller::instance); POST /api/v1/statuses
(ApiV1Controller::statusCreate) validates `status` max 500 code points, `media_ids` max 4,
`visibility` in private/unlisted/public, `spoiler_text` max 140, answers 400 to an
Idempotency-Key it has seen, 403 to a status with neither media nor a parent, keeps the content
warning only on a sensitive status and ignores `scheduled_at`; POST /api/v2/media takes alt text
of at most 1000 characters and answers 202 with no `url` yet (mediaUploadV2).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, UploadFile
from fastapi.responses import JSONResponse
from mastodon_mock.db.models import Idempotency, Status
from mastodon_mock.deps import Config as MockConfig
from mastodon_mock.deps import DbSession, RequiredAccount
from mastodon_mock.routers import media as mock_media
from mastodon_mock.routers import statuses as mock_statuses
from mastodon_mock.serializers.statuses import serialize_status
from sqlalchemy import select

from crosspost.accounts import Account
from crosspost.backup.store import BackupStore
from crosspost.config import Config
from crosspost.model import Platform, Post, PostRef, RichText
from crosspost.platforms.base import RetryPolicy
from crosspost.platforms.mastodon.client import MastodonClient
from crosspost.state import Ledger
from crosspost.sync import MigrateOptions, RuleReport, SyncEngine, migrate
from tests.backup_mastodon import TOKEN, Mock
from tests.fake_platform import png

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/"


@dataclass
class Behaviour:
    """What the server is; a test may break its nodeinfo (`nodeinfo`: "ok", "missing" for 404,
    "html" for a page that is not JSON) or turn GoToSocial's backdating off."""

    software: str  # "gotosocial" or "pixelfed"
    version: str
    nodeinfo: str = "ok"
    allow_backdating: bool = True


def _base(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _error(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status)


def _nodeinfo_routes(router: APIRouter, behaviour: Behaviour) -> None:
    @router.get("/.well-known/nodeinfo")
    def index(request: Request) -> Any:
        if behaviour.nodeinfo == "missing":
            return _error(404, "Not Found")
        if behaviour.nodeinfo == "html":
            return JSONResponse("<html>It works!</html>")
        if behaviour.software == "pixelfed":
            href = f"{_base(request)}/api/nodeinfo/2.0.json"
            return {"links": [{"href": href, "rel": NODEINFO_SCHEMA + "2.0"}]}
        return {
            "links": [
                {"rel": NODEINFO_SCHEMA + v, "href": f"{_base(request)}/nodeinfo/{v}"}
                for v in ("2.0", "2.1")
            ]
        }

    @router.get("/nodeinfo/{schema}")
    @router.get("/api/nodeinfo/2.0.json")
    def document(schema: str = "2.0") -> Any:
        software = {"name": behaviour.software, "version": behaviour.version}
        return {
            "version": schema,
            "software": software,
            "protocols": ["activitypub"],
            "services": {"inbound": [], "outbound": []},
            "openRegistrations": False,
            "usage": {"users": {"total": 1, "activeMonth": 1}, "localPosts": 0},
            "metadata": {},
        }


def _instance(request: Request, behaviour: Behaviour) -> dict[str, Any]:
    gts = behaviour.software == "gotosocial"
    statuses = {
        "max_characters": 5000 if gts else 500,
        "max_media_attachments": 6 if gts else 4,
        "characters_reserved_per_url": 25 if gts else 23,
    }
    media: dict[str, Any] = {"image_size_limit": 15728640, "video_size_limit": 15728640}
    if gts:
        media["description_limit"] = 1500
    version = behaviour.version if gts else f"3.5.3 (compatible; Pixelfed {behaviour.version})"
    return {
        "domain": request.url.netloc,
        "title": behaviour.software,
        "version": version,
        "configuration": {"statuses": statuses, "media_attachments": media},
    }


async def _remembered(db: Any, account: Any, key: str | None) -> Status | None:
    if not key:
        return None
    query = select(Idempotency).where(Idempotency.account_id == account.id, Idempotency.key == key)
    existing = db.scalar(query)
    return db.get(Status, existing.status_id) if existing is not None else None


def _create(db: Any, account: Any, params: dict[str, Any], key: str | None) -> Status:
    status: Status = mock_statuses._create_status_from_params(db, account, params)
    if key:
        db.add(Idempotency(account_id=account.id, key=key, status_id=status.id))
    return status


def _gotosocial_status(
    db: Any, account: Any, params: dict[str, Any], behaviour: Behaviour
) -> JSONResponse | datetime | None:
    """GoToSocial's checks of a `scheduled_at`: the date to create the status at, None for an
    ordinary status, or the refusal."""
    scheduled = mock_statuses._parse_dt(params.pop("scheduled_at", None))
    if scheduled is None:
        return None
    scheduled = scheduled if scheduled.tzinfo else scheduled.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    if scheduled - now >= timedelta(minutes=5):
        return _error(501, "this test server schedules nothing")
    if now < scheduled:
        return _error(422, "scheduled_at must be at least 5 minutes in the future")
    if not behaviour.allow_backdating:
        return _error(403, "backdating statuses has been disabled on this instance")
    if scheduled <= datetime.fromtimestamp(0, UTC):
        return _error(406, "statuses can't be backdated to or before the UNIX epoch")
    if isinstance(params.get("poll"), dict):
        return _error(403, "statuses with polls can't be backfilled")
    parent_id = mock_statuses._to_int(params.get("in_reply_to_id"))
    parent = db.get(Status, parent_id) if parent_id is not None else None
    if parent is not None and parent.account_id != account.id:
        return _error(403, "replies to others can't be backfilled")
    return scheduled


def _pixelfed_refusal(params: dict[str, Any], key_seen: bool) -> JSONResponse | None:
    text = str(params.get("status") or "")
    media = params.get("media_ids")
    media = media if isinstance(media, list) else ([media] if media else [])
    errors: dict[str, list[str]] = {}
    if len(text) > 500:
        errors["status"] = ["The status field must not be greater than 500 characters."]
    if len(media) > 4:
        errors["media_ids"] = ["The media ids field must not have more than 4 items."]
    if params.get("visibility", "public") not in ("private", "unlisted", "public"):
        errors["visibility"] = ["The selected visibility is invalid."]
    if len(str(params.get("spoiler_text") or "")) > 140:
        errors["spoiler_text"] = ["The spoiler text field must not be greater than 140."]
    if errors:
        first = next(iter(errors.values()))[0]
        return JSONResponse({"message": first, "errors": errors}, status_code=422)
    if key_seen:
        return _error(400, "Duplicate idempotency key.")
    if not media and not params.get("in_reply_to_id"):
        return _error(403, "Empty statuses are not allowed")
    return None


def _status_route(router: APIRouter, behaviour: Behaviour) -> None:
    @router.post("/api/v1/statuses")
    async def post_status(
        request: Request, db: DbSession, config: MockConfig, account: RequiredAccount
    ) -> Any:
        params = await mock_statuses._form_or_json(request)
        key = request.headers.get("Idempotency-Key")
        prior = await _remembered(db, account, key)
        created_at: datetime | None = None
        if behaviour.software == "pixelfed":
            if (refusal := _pixelfed_refusal(params, prior is not None)) is not None:
                return refusal
            params.pop("scheduled_at", None)
            if not mock_statuses._to_bool(params.get("sensitive")):
                params["spoiler_text"] = ""
        else:
            if prior is not None:
                return serialize_status(db, prior, config, account)
            outcome = _gotosocial_status(db, account, params, behaviour)
            if isinstance(outcome, JSONResponse):
                return outcome
            created_at = outcome
        status = _create(db, account, params, key)
        if created_at is not None:
            status.created_at = created_at
        db.commit()
        return serialize_status(db, status, config, account)


def _media_route(router: APIRouter) -> None:
    @router.post("/api/v2/media")
    async def media_post(
        request: Request, db: DbSession, account: RequiredAccount, file: UploadFile
    ) -> Any:
        form = await request.form()
        description = form.get("description")
        text = description if isinstance(description, str) else None
        if text is not None and len(text) > 1000:
            message = "The description field must not be greater than 1000 characters."
            return JSONResponse({"message": message}, status_code=422)
        answer = await mock_media.media_post(request, db, account, file, text, None)
        answer["url"] = None  # still processing: GET /api/v1/media/:id gives it
        return JSONResponse(answer, status_code=202)


def extend(app: FastAPI, behaviour: Behaviour) -> None:
    """Put this software's routes ahead of the extended mock's."""
    router = APIRouter()
    _nodeinfo_routes(router, behaviour)

    @router.get("/api/v2/instance")
    def instance(request: Request) -> dict[str, Any]:
        return _instance(request, behaviour)

    _status_route(router, behaviour)
    if behaviour.software == "pixelfed":
        _media_route(router)
    before = len(app.router.routes)
    app.include_router(router)
    added = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[0:0] = added


@contextmanager
def serving(media_dir: Path, behaviour: Behaviour) -> Iterator[Mock]:
    """The extended mastodon-mock, answering as `behaviour` says, on a free port."""
    from tests import mastodon_account_server as extended

    mastodon_routes = extended.extend

    def both(app: FastAPI) -> None:
        mastodon_routes(app)
        extend(app, behaviour)

    extended.extend = both  # serving() puts its routes in with `extend`, looked up when called
    try:
        with extended.serving(media_dir) as mock:
            yield mock
    finally:
        extended.extend = mastodon_routes


# --- a migration of a Bluesky backup into one of these servers, through the real client ------

SOURCE = Account("sky", Platform.BLUESKY, "alice.test")


def backup_of(root: Path, posts: Sequence[Post]) -> Path:
    """A backup of SOURCE holding `posts` (their media's bytes written beside them)."""
    folder = BackupStore(root).account(Platform.BLUESKY, SOURCE.identity)
    for post in posts:
        media = []
        for n, item in enumerate(post.media):
            data = png(f"{post.ref.id}-{n}")
            sha = hashlib.sha256(data).hexdigest()
            stored = folder.media_path(sha, "png")
            stored.parent.mkdir(parents=True, exist_ok=True)
            stored.write_bytes(data)
            media.append(replace(item, sha256=sha, local_path=folder.media_relative(sha, "png")))
        folder.save_post(replace(post, media=tuple(media)))
    return root


def source_post(n: int, text: str, *, when: datetime, **changes: Any) -> Post:
    url = f"https://bsky.app/profile/{SOURCE.identity}/post/3kpost{n}"
    ref = PostRef(Platform.BLUESKY, SOURCE.identity, f"3kpost{n}", url)
    return Post(ref=ref, created_at=when, text=RichText(text), **changes)


def target_client(mock: Mock) -> MastodonClient:
    account = Account("fedi", Platform.MASTODON, mock.identity, service=mock.base_url)
    retry = RetryPolicy(sleep=lambda seconds: None, clock=time.time)  # the server's own time
    return MastodonClient(account, TOKEN, retry=retry)


def migrate_backup(mock: Mock, root: Path) -> tuple[RuleReport, list[Post]]:
    """`migrate` from the backup under `root` into the server; the report and the statuses as
    the server's API gives them back, oldest first."""
    target = target_client(mock)
    config = Config(path=None, accounts={"sky": SOURCE, "fedi": target.account})
    engine = SyncEngine(config, Ledger(":memory:"), lambda account, writing: target)
    report = migrate(engine, "sky", "fedi", MigrateOptions(from_backup=root))
    reader = target_client(mock)
    return report, sorted(reader.fetch_page().posts, key=lambda p: p.created_at)
