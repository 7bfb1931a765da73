"""What `crosspost sync --queue` does: queue one job per rule and target for `crosspost worker`."""

from __future__ import annotations

from pathlib import Path

import typer

from crosspost.config import Config


def enqueue_jobs(config: Config, rule: str | None, state: Path | None) -> None:
    """Queue one job per rule and target for `crosspost worker` to run; print what was queued."""
    from crosspost.worker.files import queue_file
    from crosspost.worker.job import prepare_ledger
    from crosspost.worker.queue import Queue, jobs_of
    from crosspost.worker.settings import Settings

    prepare_ledger(Settings(config.path, state))
    queue = Queue(Settings(config.path, state))
    jobs = jobs_of(config, rule)
    queued = queue.enqueue(jobs)
    for job in queued:
        typer.echo(f"queued: {job.key}")
    if len(queued) < len(jobs):
        typer.echo(f"{len(jobs) - len(queued)} already waiting in the queue")
    jobs_queued = "1 job" if len(queued) == 1 else f"{len(queued)} jobs"
    typer.echo(f"{jobs_queued} queued in {queue_file(state)}; `crosspost worker` runs them")
