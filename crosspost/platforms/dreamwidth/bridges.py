"""Dreamwidth journals seen from other networks: no bridge reaches them (Dreamwidth speaks no
ActivityPub or AT protocol of its own), and Dreamwidth has no import of follows, so it is never a
target of `crosspost people`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from crosspost.account_data import Person
from crosspost.accounts import Account
from crosspost.platforms.bridging import Route, Server, Where

PROTOCOL = ""  # no network protocol other servers follow it by


def where_from(person: Person, protocol: str) -> Where:
    return Where(Route.NONE, note="a Dreamwidth journal: no bridge reaches it from other networks")


def import_files(addresses: Sequence[str]) -> Sequence[tuple[str, str]]:
    return ()


def server_of(account: Account) -> str:
    return ""


def token_of(fields: Mapping[str, str]) -> str | None:
    return None


def lookup(server: Server, key: str) -> str | None:
    return None
