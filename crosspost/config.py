"""The config file: accounts, sync rules and where backups go (TOML; see config.example.toml).

Every problem becomes one `ConfigError` line naming the file, the key and what to do.
Secrets never belong here: they live in the OS keyring (`crosspost login`) or, on headless
machines, in one environment variable per account.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crosspost.accounts import Account, check_service_url
from crosspost.errors import AccountSpecError, ConfigError
from crosspost.model import ContentWarningStyle, FitMode, PostKind, TagStyle, Visibility
from crosspost.platforms.registry import (
    normalize_identity,
    parse_account_spec,
    parse_platform,
    spec,
)

CONFIG_ENV = "CROSSPOST_CONFIG"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# A key named like this holds a secret, which must never be written in the config file.
_SECRET_KEY_RE = re.compile(
    r"pass(word)?|secret|token|api_?key|consumer_key|jwt|session|credential", re.IGNORECASE
)


FitModeName = FitMode  # the name this module used before the enum moved to the model


class LinkBack(StrEnum):
    ALWAYS = "always"
    TRUNCATED = "truncated"
    NEVER = "never"


class Digest(StrEnum):
    NONE = "none"  # one mirror per post
    DAILY = "daily"  # a day's posts in one entry, once the day is over


@dataclass(frozen=True, slots=True)
class TargetOptions:
    """How posts are fitted to one target; a rule's defaults, overridable per target."""

    mode: FitMode = FitMode.THREAD
    link_back: LinkBack = LinkBack.TRUNCATED
    numbering: bool = True
    tag_style: TagStyle = TagStyle.CAMEL
    # Where a content warning goes on a target without one of its own (Bluesky).
    content_warning: ContentWarningStyle = ContentWarningStyle.FIRST_LINE
    digest: Digest = Digest.NONE  # targets that take long posts only (a journal, Tumblr)
    digest_timezone: str = "UTC"  # where a digest's day begins and ends (an IANA name)


@dataclass(frozen=True, slots=True)
class SyncRule:
    name: str
    source: str
    targets: tuple[str, ...]
    include_tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    kinds: tuple[PostKind, ...] = (PostKind.ORIGINAL,)
    visibility: tuple[Visibility, ...] = (Visibility.PUBLIC,)
    since: datetime | None = None
    strip_selecting_tags: bool = True
    edits: bool = False  # propagate edits of mirrored posts (Mastodon targets; README: sync)
    deletes: bool = False  # delete mirrors when their source post is deleted
    options: TargetOptions = TargetOptions()
    overrides: Mapping[str, TargetOptions] = field(default_factory=dict)

    def options_for(self, target: str) -> TargetOptions:
        return self.overrides.get(target, self.options)


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None
    accounts: Mapping[str, Account] = field(default_factory=dict)
    rules: tuple[SyncRule, ...] = ()
    backup_dir: Path | None = None

    def account(self, name_or_spec: str) -> Account:
        """An account named in the config, or an ad hoc `platform:identity`."""
        if name_or_spec in self.accounts:
            return self.accounts[name_or_spec]
        if ":" not in name_or_spec:
            known = ", ".join(sorted(self.accounts)) or "none"
            raise ConfigError(
                f"no account named {name_or_spec!r} (accounts in the config: {known}); name "
                "one of them or give PLATFORM:IDENTITY, e.g. bluesky:alice.bsky.social",
                path=str(self.path) if self.path else None,
            )
        return parse_account_spec(name_or_spec)

    def rule(self, name: str) -> SyncRule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        known = ", ".join(rule.name for rule in self.rules) or "none"
        raise ConfigError(
            f"no sync rule named {name!r} (rules: {known})",
            path=str(self.path) if self.path else None,
        )


def default_config_path() -> Path:
    from platformdirs import user_config_path  # imported here: keeps `--help` fast

    return user_config_path("crosspost", appauthor=False) / "config.toml"


def resolve_config_path(option: str | Path | None) -> tuple[Path, bool]:
    """The config file to read and whether the user named it (option or environment)."""
    if option:
        return Path(option).expanduser(), True
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]).expanduser(), True
    return default_config_path(), False


def load_config(option: str | Path | None = None, *, required: bool = True) -> Config:
    """Read and check the config. A missing default file gives an empty config unless required."""
    path, named = resolve_config_path(option)
    if not path.exists():
        if named or required:
            raise ConfigError(
                "no such config file; copy config.example.toml there and edit it, or pass "
                "--config PATH (or set CROSSPOST_CONFIG)",
                path=str(path),
            )
        return Config(path=None)
    if not path.is_file():  # a FIFO or a device would be read forever
        raise ConfigError("not a regular file; give the path of the config file", path=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"not valid TOML: {error}; fix the syntax there", path=str(path)
        ) from None
    except RecursionError:
        raise ConfigError(
            "nested too deeply to be a config file; fix it there", path=str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the file: {error}", path=str(path)) from None
    return parse_config(data, path)


def parse_config(data: Mapping[str, Any], path: Path | None = None) -> Config:
    where = str(path) if path else "config"
    top = _Table(data, "", where)
    accounts = {
        name: _parse_account(name, _Table(raw, f"accounts.{name}", where))
        for name, raw in top.table("accounts").items()
    }
    for name in accounts:
        if not _NAME_RE.match(name):
            top.fail(
                f"accounts.{name}",
                "account names may hold letters, digits, '-' and '_' only; rename the table",
            )
    backup_dir = top.optional("backup_dir", str)
    rules = tuple(
        _parse_rule(_Table(raw, f"sync[{index}]", where), accounts)
        for index, raw in enumerate(top.array_of_tables("sync"))
    )
    names = [rule.name for rule in rules]
    for name in names:
        if names.count(name) > 1:
            top.fail("sync", f"two rules are named {name!r}; give each rule its own name")
    top.finish()
    return Config(
        path=path,
        accounts=accounts,
        rules=rules,
        backup_dir=Path(backup_dir).expanduser() if backup_dir else None,
    )


def _parse_account(name: str, table: _Table) -> Account:
    platform_name = table.required("platform", str)
    try:
        platform = parse_platform(platform_name)
    except AccountSpecError as error:
        table.fail("platform", str(error))
    key = spec(platform).identity_key
    identity = table.required(key, str)
    service = table.optional("service", str)
    try:
        normalized = normalize_identity(platform, identity)
        service = check_service_url(service) if service else None
    except AccountSpecError as error:
        table.fail("service" if service and str(error).startswith("service") else key, str(error))
    table.finish()
    return Account(name=name, platform=platform, identity=normalized, service=service)


def _parse_rule(table: _Table, accounts: Mapping[str, Account]) -> SyncRule:
    name = table.required("name", str)
    source = _account_ref(table, "from", table.required("from", str), accounts)
    raw_targets = table.required("to", (str, list))
    targets = tuple(
        _account_ref(table, "to", str(target), accounts)
        for target in ([raw_targets] if isinstance(raw_targets, str) else raw_targets)
    )
    if not targets:
        table.fail("to", "name at least one target account")
    if source in targets:
        table.fail("to", f"the rule would mirror {source!r} onto itself; remove it from 'to'")
    options = _parse_options(table, _default_options(accounts[source]))
    raw_overrides = table.table("targets")
    overrides = {
        target: _parse_override(
            _Table(raw, f"{table.prefix}.targets.{target}", table.where), options
        )
        for target, raw in raw_overrides.items()
    }
    if options.mode is FitMode.EXCERPT and "mode" not in table.data:
        # The excerpt default is for short posts; a target that takes any length (Tumblr, a
        # journal) gets the whole entry unless the rule asks otherwise.
        for target in targets:
            given = raw_overrides.get(target)
            if _takes_any_length(accounts[target]) and not (
                isinstance(given, Mapping) and "mode" in given
            ):
                overrides[target] = dataclasses.replace(
                    overrides.get(target, options), mode=FitMode.THREAD
                )
    for target in overrides:
        if target not in targets:
            table.fail(f"targets.{target}", "overrides a target that is not in 'to'")
    since = table.optional("since", (date, datetime))
    rule = SyncRule(
        name=name,
        source=source,
        targets=targets,
        include_tags=table.strings("include_tags"),
        exclude_tags=table.strings("exclude_tags"),
        kinds=table.enums("kinds", PostKind, (PostKind.ORIGINAL,)),
        visibility=table.enums("visibility", Visibility, (Visibility.PUBLIC,)),
        since=_as_datetime(since) if since is not None else None,
        strip_selecting_tags=table.optional("strip_selecting_tags", bool, True),
        edits=table.optional("edits", bool, False),
        deletes=table.optional("deletes", bool, False),
        options=options,
        overrides=overrides,
    )
    table.finish()
    _check_digests(table, rule, accounts)
    return rule


def _takes_any_length(account: Account) -> bool:
    return spec(account.platform).limits.text.one_post


def _default_options(source: Account) -> TargetOptions:
    """A journal's entries are announced elsewhere by excerpt and link; other posts are
    mirrored whole (a thread where they are long)."""
    if spec(source.platform).limits.text.long_form:
        return TargetOptions(mode=FitMode.EXCERPT)
    return TargetOptions()


def _parse_options(table: _Table, base: TargetOptions = TargetOptions()) -> TargetOptions:
    return TargetOptions(
        mode=table.enum("mode", FitMode, base.mode),
        link_back=table.enum("link_back", LinkBack, base.link_back),
        numbering=table.optional("numbering", bool, base.numbering),
        tag_style=table.enum("tag_style", TagStyle, base.tag_style),
        content_warning=table.enum("content_warning", ContentWarningStyle, base.content_warning),
        digest=table.enum("digest", Digest, base.digest),
        digest_timezone=_time_zone(table, base.digest_timezone),
    )


def _time_zone(table: _Table, default: str) -> str:
    name = table.optional("digest_timezone", str)
    if name is None:
        return default
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        example = '"Europe/London" or "America/New_York"'
        table.fail("digest_timezone", f"{name!r} is not a time zone; use an IANA name: {example}")
    return str(name)


def _check_digests(table: _Table, rule: SyncRule, accounts: Mapping[str, Account]) -> None:
    for target in rule.targets:
        if rule.options_for(target).digest is Digest.NONE:
            continue
        platform = accounts[target].platform
        if not _takes_any_length(accounts[target]):
            key = f"targets.{target}.digest" if target in rule.overrides else "digest"
            table.fail(
                key,
                f"{spec(platform).display_name} posts are too short for a digest of a day's "
                f"posts ({target}); digests go to a journal or Tumblr, or remove the key",
            )


def _parse_override(table: _Table, base: TargetOptions) -> TargetOptions:
    options = _parse_options(table, base)
    table.finish()
    return options


def _account_ref(table: _Table, key: str, name: str, accounts: Mapping[str, Account]) -> str:
    if name not in accounts:
        known = ", ".join(sorted(accounts)) or "none defined"
        table.fail(
            key, f"names an unknown account {name!r} (accounts: {known}); add [accounts.{name}]"
        )
    return name


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(), tzinfo=UTC)


class _Table:
    """One TOML table being read: typed getters, and every key not read is reported."""

    def __init__(self, data: object, prefix: str, where: str) -> None:
        self.prefix, self.where = prefix, where
        if not isinstance(data, Mapping):
            self.fail("", "must be a table ([section] or { ... })")
        self.data: Mapping[str, Any] = data
        self.seen: set[str] = set()
        for key in data:
            if _SECRET_KEY_RE.search(key):
                self.fail(
                    key,
                    "secrets never go in the config file: delete this key and run "
                    "`crosspost login ACCOUNT` (or set CROSSPOST_SECRET_<ACCOUNT> on a machine "
                    "without a keyring)",
                )

    def fail(self, key: str, message: str) -> NoReturn:
        full = ".".join(part for part in (self.prefix, key) if part)
        raise ConfigError(message, path=self.where, key=full or None)

    def required(self, key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in self.data:
            self.fail(key, "missing; add it (see config.example.toml)")
        return self.optional(key, kind)

    def optional(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        self.seen.add(key)
        if key not in self.data:
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
            names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            self.fail(key, f"must be {names}, not {value!r}")
        if isinstance(value, str) and not value.strip():
            self.fail(key, "is empty; give a value or remove the key")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        values = self.optional(key, list, [])
        if not all(isinstance(value, str) and value for value in values):
            self.fail(key, 'must be a list of non-empty strings, e.g. ["crosspost"]')
        return tuple(values)

    def enum(self, key: str, kind: type[StrEnum], default: Any) -> Any:
        value = self.optional(key, str)
        return default if value is None else self._member(key, kind, value)

    def enums(self, key: str, kind: type[StrEnum], default: tuple[Any, ...]) -> tuple[Any, ...]:
        values = self.strings(key) if key in self.data else None
        return default if values is None else tuple(self._member(key, kind, v) for v in values)

    def _member(self, key: str, kind: type[StrEnum], value: str) -> Any:
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            self.fail(key, f"{value!r} is not one of: {allowed}")

    def table(self, key: str) -> Mapping[str, Any]:
        value = self.optional(key, dict, {})
        assert isinstance(value, Mapping)
        return value

    def array_of_tables(self, key: str) -> list[Any]:
        value = self.optional(key, list, [])
        assert isinstance(value, list)
        return value

    def finish(self) -> None:
        for key in self.data:
            if key not in self.seen:
                self.fail(key, "unknown key; check its spelling against config.example.toml")


_TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    list: "a list",
    dict: "a table",
    date: "a date (e.g. 2024-01-01)",
    datetime: "a date-time",
}
