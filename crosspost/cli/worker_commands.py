"""`crosspost worker`, and the queueing behind `crosspost sync --queue`: jobs (one per rule and
target account) on the Huey queue beside the ledger (crosspost.worker)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crosspost.cli.options import ConfigOpt
from crosspost.cli.root import app
from crosspost.cli.sync_commands import StateOpt
from crosspost.config import Config, load_config


def enqueue_jobs(config: Config, rule: str | None, state: Path | None) -> None:
    """Queue one job per rule and target for `crosspost worker` to run; print what was queued."""
    from crosspost.worker.files import queue_file
    from crosspost.worker.job import Settings, prepare_ledger
    from crosspost.worker.queue import Queue, jobs_of

    prepare_ledger(Settings(config.path, state))
    queue = Queue(Settings(config.path, state))
    jobs = jobs_of(config, rule)
    queued = queue.enqueue(jobs)
    for job in queued:
        typer.echo(f"queued: {job.key}")
    if len(queued) < len(jobs):
        typer.echo(f"{len(jobs) - len(queued)} already waiting in the queue")
    typer.echo(f"{len(queued)} jobs queued in {queue_file(state)}; `crosspost worker` runs them")


@app.command("worker")
def worker(
    config: ConfigOpt = None,
    state: StateOpt = None,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, max=64, help="Jobs run side by side.")
    ] = 1,
    poll: Annotated[
        float,
        typer.Option(
            "--poll",
            metavar="SECONDS",
            min=0.1,
            help="Longest wait between looks at an empty queue.",
        ),
    ] = 10.0,
    sweep_every: Annotated[
        float,
        typer.Option(
            "--sweep-every",
            metavar="SECONDS",
            min=0.1,
            help="How often to look for jobs a killed worker left, to queue them again.",
        ),
    ] = 30.0,
) -> None:
    """Run the jobs `crosspost sync --queue` queued, one per rule and target, until stopped."""
    from crosspost.worker.consumer import WorkerOptions, run_worker
    from crosspost.worker.files import queue_file
    from crosspost.worker.job import Settings
    from crosspost.worker.queue import Queue

    loaded = load_config(config)
    queue = Queue(Settings(loaded.path, state))
    typer.echo(f"running jobs from {queue_file(state)} with {workers} workers", err=True)
    run_worker(queue, WorkerOptions(workers=workers, poll=poll, sweep_every=sweep_every))
