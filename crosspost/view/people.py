"""Who is who: the handle (and display name and stored avatar) of every account the backup
knows, so a page names people the way people know them and never by a bare DID.

The table is built from each account folder's profile (which also names the owner of that
folder's posts, whatever the folder is called) and from the people its collections name
(followers, follows, list members). A name not in the table is shown as the post gives it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from crosspost.account_data import Person
from crosspost.model import Platform
from crosspost.view.account import AccountData
from crosspost.view.load import Archive, stored_file


class Known(NamedTuple):
    handle: str
    display_name: str = ""
    avatar: Path | None = None  # the stored avatar file (accounts of the backup only)
    page: str | None = None  # the account's profile page in the site (from the root)


@dataclass
class Names:
    """Accounts by (platform, permanent id) and by (platform, handle, case-folded)."""

    known: dict[tuple[Platform, str], Known] = field(default_factory=dict)

    def find(self, platform: Platform, account: str) -> Known | None:
        if not account:
            return None
        found = self.known.get((platform, account))
        if found is None:
            found = self.known.get((platform, _handle_key(account)))
        return found

    def label(self, platform: Platform, account: str) -> str:
        """How a page names an account: "@handle" when known, else as given."""
        known = self.find(platform, account)
        return as_handle(known.handle if known is not None and known.handle else account)

    def person(self, platform: Platform, person: Person) -> Known:
        """What is known of a person named in a collection (at least its own handle or id)."""
        known = self.find(platform, person.id)
        if known is None and person.handle:
            known = self.find(platform, person.handle)
        if known is not None:
            return known
        return Known(person.handle or person.id, person.display_name)

    def add(self, platform: Platform, keys: Iterable[str], known: Known) -> None:
        for key in keys:
            if key:
                self.known.setdefault((platform, key), known)
                self.known.setdefault((platform, _handle_key(key)), known)


def as_handle(account: str) -> str:
    """An account as the viewer writes it: handles with "@", DIDs and empty names as they are."""
    return account if account.startswith(("did:", "@")) or not account else f"@{account}"


def _handle_key(handle: str) -> str:
    return "@" + handle.removeprefix("@").casefold()


def build_names(archive: Archive, accounts: Iterable[AccountData]) -> Names:
    """The table: the backup's own accounts first (they have pages and stored avatars), then
    everyone their collections name with a handle."""
    names = Names()
    accounts = list(accounts)
    for data in accounts:
        backup = data.backup
        keys = [backup.account, backup.stable_id() or ""]
        if data.profile is None:
            names.add(backup.platform, keys, Known(backup.handle(), page=data.page))
            continue
        profile = data.profile.profile
        avatar = stored_file(archive, backup, profile.avatar) if profile.avatar else None
        known = Known(profile.handle or backup.handle(), profile.display_name, avatar, data.page)
        names.add(backup.platform, [profile.id, profile.handle, *keys], known)
    for data in accounts:  # posts saved under an earlier handle (after every current one)
        for earlier in data.earlier:
            current = names.find(data.backup.platform, data.backup.account)
            if current is not None:
                names.add(data.backup.platform, [earlier.profile.handle], current)
    for data in accounts:
        for collection in data.collections.values():
            for entry in collection.entries:
                for person in (entry.person, *entry.members):
                    if person is not None and person.handle:
                        known = Known(person.handle, person.display_name)
                        names.add(data.backup.platform, [person.id, person.handle], known)
    return names
