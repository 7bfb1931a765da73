"""`crosspost status --community FILE`: one line per user (their rules, posts to publish,
waiting and failed, and when the last one was posted), read from each user's ledger; a user whose
config fails says so on their line and the others go on."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from crosspost.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    from crosspost.community import Community
    from crosspost.config import Config
    from crosspost.state import Ledger


@dataclass(frozen=True, slots=True)
class UserLine:
    user: str
    rules: int = 0
    published: int = 0
    to_publish: int = 0
    waiting: int = 0
    failed: int = 0
    last_post: str | None = None  # when the user's last mirror was posted (ISO 8601, UTC)
    problem: str | None = None  # what stops the user's jobs (their config)

    def text(self) -> str:
        if self.problem is not None:
            return f"{self.user}: not run: {self.problem}"
        rules = "1 rule" if self.rules == 1 else f"{self.rules} rules"
        last = self.last_post or "none yet"
        return (
            f"{self.user}: {rules}, {self.published} published, {self.to_publish} to publish, "
            f"{self.waiting} waiting, {self.failed} failed, last post {last}"
        )


def open_user_ledger(community: Community, user: str) -> Ledger:
    """The user's ledger, to read: a copy of their SQLite file (never written), or their
    ledger on the community's database."""
    if community.ledger_url is not None:
        from crosspost.worker.backends import open_ledger

        return open_ledger(community.settings(), user)
    from crosspost.state import Ledger

    return Ledger.snapshot(community.state_path(user))


def user_line(community: Community, user: str, config: Config | ConfigError) -> UserLine:
    if isinstance(config, ConfigError):
        return UserLine(user, problem=str(config))
    with open_user_ledger(community, user) as store:
        now = store.clock()
        published = due = waiting = failed = 0
        last = 0.0
        for rule in config.rules:
            for target in rule.targets:
                row = store.status(rule.name, target, now)
                published += row.published
                due += row.due
                waiting += row.waiting_posts
                failed += len(row.failed)
                posted = store.published_since(target, last)
                if posted:
                    last = max(last, posted[-1][0])
    when = datetime.fromtimestamp(last, UTC).isoformat(timespec="minutes") if last else None
    return UserLine(user, len(config.rules), published, due, waiting, failed, when)


def print_users(community: Community, as_json: bool) -> None:
    """One line per user; exits 3 (config) when a user's config stops their jobs."""
    lines = [user_line(community, user, config) for user, config in community.configs()]
    if as_json:
        from crosspost.cli.json_out import dumps

        typer.echo(
            dumps({"community": str(community.path), "users": [asdict(one) for one in lines]})
        )
    else:
        if not lines:
            typer.echo(f"no users yet: add USER.toml files to {community.users_dir}")
        for line in lines:
            typer.echo(line.text())
        if lines:
            typer.echo(
                f"`crosspost status --community {community.path} --user NAME` shows one in full"
            )
    if any(line.problem is not None for line in lines):
        raise typer.Exit(ExitCode.CONFIG)
