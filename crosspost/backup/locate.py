"""Which backup a command means: a backup root, one account's folder, or an account named by
its handle, permanent id (a DID) or folder name inside a root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crosspost.backup.store import MANIFEST, AccountBackup, BackupStore, safe_name, unsafe_name
from crosspost.errors import DataError
from crosspost.model import Platform


@dataclass(frozen=True)
class Chosen:
    """A backup root, and the accounts in it a command is about (all of them unless named)."""

    root: Path
    accounts: tuple[AccountBackup, ...]
    named: bool  # one account was asked for (by folder or name), not the whole root


def account_folder(path: Path) -> AccountBackup | None:
    """`path` as one account's folder (<root>/<platform>/<account>/), or None."""
    try:
        platform = Platform(path.parent.name)
    except ValueError:
        return None
    if not ((path / MANIFEST).is_file() or (path / "posts").is_dir()):
        return None
    return AccountBackup(path, platform, unsafe_name(path.name))


def find_accounts(root: Path, name: str, platform: Platform | None = None) -> list[AccountBackup]:
    """The accounts in `root` that `name` names: by folder name, recorded handle or permanent
    id (case-insensitively, with or without a leading @)."""
    wanted = name.strip().lstrip("@").lower()
    found = []
    for backup in BackupStore(root).accounts():
        if platform is not None and backup.platform is not platform:
            continue
        names = {backup.account, backup.folder.name, backup.handle(), backup.stable_id() or ""}
        if wanted in {n.lower() for n in names if n} or safe_name(wanted) == backup.folder.name:
            found.append(backup)
    return found


def choose(target: Path, *, name_hint: str | None = None) -> Chosen:
    """A path given on the command line: a root (every account in it) or an account folder."""
    if not target.exists():
        raise FileNotFoundError(target)
    if not target.is_dir():
        raise DataError(f"{target} is a file, not a backup folder")
    single = account_folder(target)
    if single is not None:
        return Chosen(target.parent.parent, (single,), True)
    if _is_platform_folder(target):
        root = target.parent
        accounts = tuple(b for b in BackupStore(root).accounts() if b.folder.parent == target)
        return Chosen(root, accounts, True)
    return Chosen(target, tuple(BackupStore(target).accounts()), False)


def _is_platform_folder(path: Path) -> bool:
    try:
        Platform(path.name)
    except ValueError:
        return False
    return True
