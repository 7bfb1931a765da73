"""Where a followed account can be followed from another network: the shapes each platform's
`bridges.py` answers in. A platform folder knows how its own accounts appear elsewhere (through
Bridgy Fed, the bridge between the fediverse and Bluesky, https://fed.brid.gy/docs) and how to
ask its own servers whether an account is there; `crosspost.backup.people` puts them together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from crosspost.account_data import Person
    from crosspost.accounts import Account


class Route(StrEnum):
    """How a followed account is reached from the target network."""

    SAME = "same network"  # it lives there: followed as it is
    ORIGINAL = "original account"  # it is a bridge's copy of an account that lives there
    BRIDGE = "through Bridgy Fed"  # a bridged copy, if the account opted in to the bridge
    NONE = "no bridge"  # nothing reaches it from there


@dataclass(frozen=True, slots=True)
class Where:
    """Where one account can be followed from a network: its `address` there ("" when it cannot
    be told), what to ask that network's server to know whether it is there (`lookup`: the
    address, or an id the server resolves, such as an ActivityPub actor URL), and why."""

    route: Route
    address: str = ""
    lookup: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Server:
    """A server of the target network to ask (its base URL), with an access token where asking
    needs a signed-in account (Mastodon resolves remote accounts for signed-in users only)."""

    url: str
    token: str | None = None


class BridgeRules(Protocol):
    """What a platform's `bridges.py` answers (crosspost/platforms/<name>/bridges.py)."""

    PROTOCOL: str

    def where_from(self, person: Person, protocol: str) -> Where: ...

    def import_files(self, addresses: Sequence[str]) -> Sequence[tuple[str, str]]: ...

    def server_of(self, account: Account) -> str: ...

    def token_of(self, fields: Mapping[str, str]) -> str | None: ...

    def lookup(self, server: Server, key: str) -> str | None: ...


@dataclass(slots=True)
class Unbridged:
    """The bridge rules of a network no bridge reaches and that imports no follows (Tumblr,
    Dreamwidth): nobody there is found from elsewhere, and it is never a target of
    `crosspost people`. `what` names one of its accounts to a person ("a Tumblr blog")."""

    what: str
    PROTOCOL: str = ""  # no network protocol other servers follow it by

    def where_from(self, person: Person, protocol: str) -> Where:
        return Where(Route.NONE, note=f"{self.what}: no bridge reaches it from other networks")

    def import_files(self, addresses: Sequence[str]) -> Sequence[tuple[str, str]]:
        return ()

    def server_of(self, account: Account) -> str:
        return ""

    def token_of(self, fields: Mapping[str, str]) -> str | None:
        return None

    def lookup(self, server: Server, key: str) -> str | None:
        return None
