"""What makes a platform a platform: one `PlatformSpec` per platform, held by the registry.

Everything outside `crosspost.platforms` that must know something about a platform (its limits
and caps, which visibilities it can keep, whether it backdates, its credential fields, how its
accounts are named, its text rules, and the entry points that open a client or convert a post)
asks `crosspost.platforms.registry.spec(platform)` and never branches on the platform itself.
Entry points import their modules on first call, so looking a spec up never loads an SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from crosspost.errors import CredentialsError

if TYPE_CHECKING:  # annotations only: a spec is read at start-up (`crosspost status`)
    from crosspost.account_data import Collection, Entry
    from crosspost.accounts import Account
    from crosspost.model import Limits, Media, Platform, Post, PostRef, Visibility
    from crosspost.platforms.base import Draft, PlatformClient, RetryPolicy
    from crosspost.platforms.bridging import BridgeRules
    from crosspost.platforms.export import Export

HOUR = 3600.0
DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Cap:
    """A posting cap: at most `limit` units in any `window` seconds."""

    what: str  # "posts a day", for the message
    window: float  # seconds
    limit: int
    per_post: int = 0  # units one post costs
    per_media: int = 0  # units each of its media costs

    def cost(self, media: int) -> int:
        return self.per_post + self.per_media * media


@dataclass(frozen=True, slots=True)
class CredentialRules:
    """The secret fields of an account: what publishing needs (`write`), what reading needs at
    least (`required`), what may be kept beside them (`optional`), and how a bare secret in the
    environment-variable format becomes fields (`parse_plain`; it raises CredentialsError)."""

    write: tuple[str, ...]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    prompts: Mapping[str, str]  # what `crosspost login` asks for each write field
    parse_plain: Callable[[str], dict[str, str]]


class SecretFields(Protocol):
    """An account's stored secret fields (the credentials module's `Credentials`)."""

    @property
    def fields(self) -> Mapping[str, str]: ...

    def __getitem__(self, key: str) -> str: ...

    def get(self, key: str) -> str | None: ...


class SecretKeeper(Protocol):
    """Where a client may load and keep secrets, e.g. a refreshed session (`Secrets`)."""

    def load(self, account: Account) -> SecretFields | None: ...

    def require(self, account: Account) -> SecretFields: ...

    def save(self, account: Account, fields: Mapping[str, str]) -> None: ...

    def load_session(self, account: Account) -> str | None:
        """A login session kept apart from the credentials (it works where the credentials
        come from the environment and nothing can be written back)."""
        ...

    def save_session(self, account: Account, session: str) -> None: ...


class _NoSecrets:
    """The store of a client given none: nothing stored, nothing kept."""

    def load(self, account: Account) -> SecretFields | None:
        return None

    def require(self, account: Account) -> SecretFields:
        raise CredentialsError(
            f"no credentials for {account.name} ({account.spec}): run `crosspost login "
            f"{account.name}` or set {account.secret_env}"
        )

    def save(self, account: Account, fields: Mapping[str, str]) -> None:
        return None

    def load_session(self, account: Account) -> str | None:
        return None

    def save_session(self, account: Account, session: str) -> None:
        pass


NO_SECRETS: SecretKeeper = _NoSecrets()


@dataclass(frozen=True, slots=True)
class ClientRequest:
    """What opening a client takes: the account, its secrets as loaded (None: none stored), the
    store a client may keep a session in, and the retry policy."""

    account: Account
    credentials: SecretFields | None
    secrets: SecretKeeper
    retry: RetryPolicy


@dataclass(frozen=True, slots=True)
class WriteContext:
    """What `from_draft` needs beside the draft: the time a post without a kept date gets, the
    server's own limits, what uploading the draft's media gave (in order: blob refs, media ids),
    the link card's uploaded thumbnail, and a publishing state that overrides the visibility's."""

    now: datetime
    limits: Limits | None = None
    uploads: tuple[Any, ...] = ()
    thumb: Any = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """One export file a platform gives its users: how to recognise it and how to read it.

    `matches_head` looks at a file's first 64 bytes; `matches_names` at the member names of an
    archive or folder. `read` raises DataError where the export cannot be imported."""

    kind: str  # "bluesky-car": what `crosspost import` prints
    label: str  # "a Bluesky repo.car", for messages
    read: Callable[[Path], Export]
    matches_head: Callable[[bytes], bool] | None = None
    matches_names: Callable[[list[str]], bool] | None = None
    names_hint: str = ""  # "outbox.json (Mastodon)": what an archive of this kind holds


class Prompter(Protocol):
    """How an interactive login asks and tells (the CLI's prompts)."""

    def ask(self, prompt: str, *, secret: bool) -> str: ...

    def say(self, message: str) -> None: ...


# What a dry run shows in place of a media upload not made: this, then the media's source URL.
UPLOAD_PLACEHOLDER = "(to upload) "


def upload_placeholder(media: Media) -> str:
    return UPLOAD_PLACEHOLDER + (media.url or "media")


def url_itself(value: str) -> str | None:
    """A mention's value as its profile, where the value is an http(s) URL (Mastodon, Tumblr)."""
    return value if value.startswith(("https://", "http://")) else None


def _no_key(raw: Mapping[str, Any]) -> str | None:
    return None


def _no_files(kind: Collection, entries: Sequence[Entry]) -> Sequence[tuple[str, str]]:
    return ()


def _no_post(url: str) -> PostRef | None:
    return None


def _same_limits(limits: Limits) -> Limits:
    return limits


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """One platform, whole. Data first, then the entry points into its folder."""

    platform: Platform
    display_name: str  # "Bluesky"
    limits: Limits  # the defaults, with the platform's text rules
    caps: tuple[Cap, ...]
    # What a mirror there can show without widening its source's audience.
    safe_visibility: frozenset[Visibility]
    backdating: bool  # a post can keep its original date
    marker_is_link: bool  # the origin marker shows as a link back to the source
    credentials: CredentialRules
    identity_key: str  # the config key naming the account ("handle", "blog")
    identity_example: str  # "alice.bsky.social"
    normalize_identity: Callable[[str], str]  # raises AccountSpecError
    claims_mention: Callable[[str], bool]  # a mention's value names a person here
    open_client: Callable[[ClientRequest], PlatformClient]
    to_post: Callable[[Mapping[str, Any], str], Post]  # (native, account)
    from_draft: Callable[[Draft, WriteContext], dict[str, Any]]
    placeholder_upload: Callable[[Media], Any]  # what a dry run shows for an upload
    profile_url: Callable[[str], str | None] = url_itself  # the profile of such a person
    # The limits a fitter should use: the server's, less the room the marker takes in the text.
    reserve_marker: Callable[[Limits], Limits] = _same_limits
    # The idempotency key an origin marker in a native record carries, where it carries one.
    marker_key: Callable[[Mapping[str, Any]], str | None] = _no_key
    exports: tuple[ExportFormat, ...] = ()
    login: Callable[[Account, Prompter], dict[str, str]] | None = None  # interactive login
    # A collection in the platform's own import format, where it has one (Mastodon's CSVs):
    # (file name, text) pairs written beside collections/<kind>.json.
    portable: Callable[[Collection, Sequence[Entry]], Sequence[tuple[str, str]]] = _no_files
    # The post a web URL names on this network, where one can be told from the URL alone (its
    # own post pages, and bridges' copies of them): how a quote of a bridged post becomes a
    # quote of the original. Its CID, where one is needed, is fetched when publishing.
    post_ref_from_url: Callable[[str], PostRef | None] = _no_post
    # What a migration's posts do on arrival there (whose feeds they reach, how a kept date
    # shows): what `migrate --plan` tells before the move. "" says nothing.
    arrival: str = ""
    # What a post sent as only the author's (Visibility.PRIVATE) is there, or, where
    # safe_visibility has no PRIVATE, that there is none.
    private_posts: str = ""
    # How its accounts are reached from other networks and how to ask its servers whether one
    # is there (bridges.py; `crosspost people`), loaded on first use like open_client.
    bridges: Callable[[], BridgeRules] | None = None
