"""A backup's people on another network: from the accounts it follows, what the target's own
import takes (Mastodon's following_accounts.csv; Bluesky, which has no import, a list of DIDs
and handles), and a report of where each followed account can be followed from the target.

Each platform's `bridges.py` knows how its accounts appear on other networks (Bridgy Fed's
addresses) and how to ask its servers whether an account is there; this module puts a source
and a target together. An address worked out from the data alone says "may be bridged" (the
bridge is opt-in): with a server of the target to ask, each is looked up and marked found or
not found; without, "not checked". Nothing is guessed silently.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

from crosspost.account_data import Collection, Entry, Person
from crosspost.accounts import Account
from crosspost.backup.account_files import read_collection
from crosspost.backup.store import AccountBackup, atomic_write_bytes
from crosspost.errors import DataError, NotFoundError, PlatformError
from crosspost.model import Platform
from crosspost.platforms.bridging import BridgeRules, Route, Server, Where
from crosspost.platforms.registry import spec

REPORT_CSV = "people.csv"
REPORT_MD = "people.md"
HEADER = ["handle", "network", "address on the target", "route", "status", "note"]


class Status:
    SAME = "same network"
    ORIGINAL = "original account"  # a bridge copy's original, there: sure from the data
    FOUND = "found"
    NOT_FOUND = "not found"
    NOT_CHECKED = "not checked"
    MAY_BE = "may be bridged"  # the status of a bridged address not checked
    NO_BRIDGE = "no bridge"
    UNKNOWN = "address unknown"


def bridges(platform: Platform) -> BridgeRules:
    """The platform's bridge rules (its `bridges.py`), through the registry."""
    entry = spec(platform)
    if entry.bridges is None:
        raise DataError(
            f"crosspost does not know yet how {entry.display_name} accounts are reached"
        )
    return entry.bridges()


@dataclass(frozen=True, slots=True)
class Row:
    """One followed account: who, on which network, its address on the target, and whether it
    is known to be there."""

    person: Person
    network: str
    where: Where
    status: str

    @property
    def address(self) -> str:
        return self.where.address

    @property
    def importable(self) -> bool:
        """Whether the target's import file lists it: it lives there, it was found there, or it
        was not checked (the importer looks each address up itself, and lists those it could not
        follow); never an address the target's server said it does not know."""
        listed = (Status.SAME, Status.ORIGINAL, Status.FOUND, Status.MAY_BE)
        return bool(self.address) and self.status in listed


@dataclass
class PeopleReport:
    source: AccountBackup
    target: Platform
    rows: list[Row]
    checked_on: str | None = None
    check_error: str | None = None  # why lookups stopped, where they did
    files: list[Path] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return dict(Counter(row.status for row in self.rows))

    def summary(self) -> str:
        counts = self.counts()
        order = [Status.SAME, Status.ORIGINAL, Status.FOUND, Status.MAY_BE, Status.NOT_FOUND]
        order += [Status.UNKNOWN, Status.NO_BRIDGE]
        parts = [f"{counts[s]} {s}" for s in order if counts.get(s)]
        listed = sum(row.importable for row in self.rows)
        name = spec(self.target).display_name
        followed = f"{len(self.rows)} followed account{'s' if len(self.rows) != 1 else ''}"
        shown = [p.replace(Status.MAY_BE, f"{Status.MAY_BE} (not checked)") for p in parts]
        return f"{followed}: {', '.join(shown) or 'none'}; {listed} listed for {name}"


def plan_people(backup: AccountBackup, target: Platform) -> list[Row]:
    """Where each account the backup follows can be followed from `target`, from the data
    alone: nothing is asked of any server."""
    rules = bridges(target)
    if not rules.PROTOCOL:
        name = spec(target).display_name
        raise DataError(
            f"{name} has no import of follows and no bridge reaches it: choose another target"
        )
    header, entries = read_collection(backup, Collection.FOLLOWING)
    if not header:
        raise NotFoundError(
            f"{backup.folder} has no list of followed accounts (collections/following.json): "
            f"run `crosspost backup` of the account first"
        )
    source = bridges(backup.platform)
    network = spec(backup.platform).display_name
    return [_row(entry, source, rules.PROTOCOL, network) for entry in _people(entries)]


def _people(entries: Sequence[Entry]) -> list[Entry]:
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.person is not None:
            seen.setdefault(entry.person.id, entry)
    return list(seen.values())


def _row(entry: Entry, source: BridgeRules, protocol: str, network: str) -> Row:
    person = cast(Person, entry.person)
    where = source.where_from(person, protocol)
    if where.route is Route.SAME:
        status = Status.SAME
    elif where.route is Route.ORIGINAL and where.address:
        status = Status.ORIGINAL
    elif where.route is Route.NONE:
        status = Status.NO_BRIDGE
    elif not where.address and not where.lookup:
        status = Status.UNKNOWN
    else:
        status = Status.MAY_BE
    return Row(person, network, where, status)


def check_people(
    rows: Sequence[Row],
    target: Platform,
    server: Server,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Row], str | None]:
    """Ask `server` (of the target's network) about each row that may be there, and each bridge
    copy's original (handles change): found (with the address the server knows it by) or not
    found. A server that cannot be asked stops the
    lookups: the rest stay "not checked", and the reason is returned."""
    rules = bridges(target)
    checked: list[Row] = []
    error: str | None = None
    wanted = [row for row in rows if row.status in _ASKED]
    done = 0
    for row in rows:
        if row.status not in _ASKED or error is not None:
            checked.append(row)
            continue
        key = row.where.lookup or row.where.address
        try:
            found = rules.lookup(server, key)
        except PlatformError as failure:
            error = str(failure)
            checked.append(row)
            continue
        if found is None:
            checked.append(replace(row, status=Status.NOT_FOUND))
        else:
            where = replace(row.where, address=found)
            checked.append(replace(row, where=where, status=Status.FOUND))
        done += 1
        if progress is not None:
            progress(done, len(wanted))
    return checked, error


_ASKED = (Status.MAY_BE, Status.ORIGINAL)


def write_people(report: PeopleReport, out: Path) -> list[Path]:
    """The target's import file(s) and the readable report (people.csv, people.md) in `out`."""
    rules = bridges(report.target)
    addresses = [row.address for row in report.rows if row.importable]
    files = [*rules.import_files(addresses)]
    files.append((REPORT_CSV, _report_csv(report.rows)))
    files.append((REPORT_MD, _report_md(report)))
    written = []
    for name, text in files:
        path = out / name
        atomic_write_bytes(path, text.encode("utf-8"))
        written.append(path)
    report.files = written
    return written


def people(
    backup: AccountBackup,
    target: Platform,
    out: Path,
    *,
    server: Server | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PeopleReport:
    """Plan, look up where a server is given, and write the files."""
    rows = plan_people(backup, target)
    report = PeopleReport(backup, target, rows)
    if server is not None:
        report.rows, report.check_error = check_people(rows, target, server, progress=progress)
        report.checked_on = server.url
    write_people(report, out)
    return report


def display_status(row: Row) -> str:
    """The status as the report shows it: a bridged address not asked about says so."""
    if row.status == Status.MAY_BE:
        return f"{Status.MAY_BE} ({Status.NOT_CHECKED})"
    return row.status


def _cells(row: Row) -> list[str]:
    return [
        row.person.name,
        row.network,
        row.address,
        row.where.route.value,
        display_status(row),
        row.where.note,
    ]


def _report_csv(rows: Sequence[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(_cells(row) for row in rows)
    return out.getvalue()


def _report_md(report: PeopleReport) -> str:
    name = spec(report.target).display_name
    lines = [f"# Followed accounts of {report.source.account}, seen from {name}", ""]
    lines.append(report.summary() + ".")
    if report.checked_on:
        lines += ["", f"Looked up on {report.checked_on}."]
    else:
        lines += ["", "Not looked up on any server (`--check` asks one)."]
    if report.check_error:
        lines += ["", f"The lookups stopped: {report.check_error}."]
    lines += ["", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(_md(cell) for cell in _cells(row)) + " |" for row in report.rows]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def server_for(account: Account, fields: Mapping[str, str] | None) -> Server:
    """The server of `account` to ask, with its token where the platform's lookups need one."""
    rules = bridges(account.platform)
    token = rules.token_of(fields) if fields is not None else None
    return Server(rules.server_of(account), token)
