"""`crosspost worker`, and the queueing behind `crosspost sync --queue`: jobs (one per rule and
target account) on the Huey queue beside the ledger, or on a Redis server several machines share
(`--queue-url`) (crosspost.worker)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from crosspost.cli.community_scope import community_of
from crosspost.cli.options import CommunityOpt, ConfigOpt
from crosspost.cli.root import app
from crosspost.cli.sync_commands import QueueUrlOpt, StateOpt
from crosspost.config import load_config


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
    community: CommunityOpt = None,
    queue_url: QueueUrlOpt = None,
) -> None:
    """Run the jobs `crosspost sync --queue` queued, one per rule and target, until stopped."""
    from crosspost.worker.backends import queue_place
    from crosspost.worker.consumer import WorkerOptions, run_worker
    from crosspost.worker.queue import Queue
    from crosspost.worker.settings import Settings

    many = community_of(community, config)
    if many is not None:
        settings = many.settings()
        whose = f" of {len(many.users())} users"
    else:
        settings, whose = Settings(load_config(config).path, state), ""
    if queue_url is not None:  # the option (or CROSSPOST_QUEUE_URL) stands for the file's
        settings = replace(settings, queue_url=queue_url)
    queue = Queue(settings)
    typer.echo(f"running jobs{whose} from {queue_place(settings)} with {workers} workers", err=True)
    if settings.queue_url and not settings.ledger_url:
        typer.echo(
            "the ledger is a SQLite file on this machine: run this queue's workers here only "
            "(workers on other machines would not see what was published)",
            err=True,
        )
    run_worker(queue, WorkerOptions(workers=workers, poll=poll, sweep_every=sweep_every))
