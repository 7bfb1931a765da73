"""What `crosspost sync --queue` does: queue one job per rule and target for `crosspost worker`
(for a community, per user too)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from crosspost.config import Config
from crosspost.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    from crosspost.community import Community
    from crosspost.worker.locks import Job
    from crosspost.worker.settings import Settings


def enqueue_jobs(
    config: Config, rule: str | None, state: Path | None, queue_url: str | None = None
) -> None:
    """Queue one job per rule and target for `crosspost worker` to run; print what was queued.
    `queue_url` names a Redis server several machines share (None: SQLite beside the state)."""
    from crosspost.worker.queue import jobs_of
    from crosspost.worker.settings import Settings

    settings = Settings(config.path, state, queue_url=queue_url)
    _enqueue(settings, [""], jobs_of(config, rule))


def enqueue_community_jobs(
    community: Community, user: str | None, rule: str | None, queue_url: str | None = None
) -> None:
    """Queue the jobs of every user of the community (or of `user`); a user whose config fails
    is named and skipped, the others are queued, and the exit code is then 3. `queue_url`, when
    given, stands for the community file's."""
    from crosspost.worker.queue import jobs_of

    if rule is not None and user is None:
        raise typer.BadParameter("--rule names one user's rule: give --user NAME with it")
    jobs: list[Job] = []
    users: list[str] = []
    skipped = 0
    for name, config in community.configs([community.require(user)] if user else None):
        if isinstance(config, ConfigError):
            typer.echo(f"{name}: skipped: {config}", err=True)
            skipped += 1
            continue
        users.append(name)
        jobs += [replace(job, user=name) for job in jobs_of(config, rule)]
    settings = community.settings()
    if queue_url is not None:
        settings = replace(settings, queue_url=queue_url)
    _enqueue(settings, users, jobs)
    if skipped:
        raise typer.Exit(ExitCode.CONFIG)


def _enqueue(settings: Settings, users: list[str], jobs: list[Job]) -> None:
    from crosspost.worker.backends import queue_place
    from crosspost.worker.job import prepare_ledger
    from crosspost.worker.queue import Queue

    prepare_ledger(settings, users)
    queue = Queue(settings)
    queued = queue.enqueue(jobs)
    for job in queued:
        typer.echo(f"queued: {job.key}")
    if len(queued) < len(jobs):
        typer.echo(f"{len(jobs) - len(queued)} already waiting in the queue")
    jobs_queued = "1 job" if len(queued) == 1 else f"{len(queued)} jobs"
    typer.echo(f"{jobs_queued} queued in {queue_place(settings)}; `crosspost worker` runs them")
