"""`crosspost worker`: Huey's consumer running the queued jobs in N threads, and a sweeper that
queues again the jobs of workers that died mid-run (their locks name a process that is gone:
Huey had already taken the job off the queue, so without this it would wait for the next
`crosspost sync --queue`)."""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, replace

from crosspost.clients import open_client
from crosspost.config import Config, load_config
from crosspost.credentials import Secrets
from crosspost.errors import CrosspostError
from crosspost.worker.backends import open_locks
from crosspost.worker.job import prepare_ledger
from crosspost.worker.queue import Queue
from crosspost.worker.settings import Settings

LOG = logging.getLogger("crosspost.worker")
SWEEP_EVERY = 30.0  # seconds between looks for jobs a dead worker left


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    workers: int = 1
    poll: float = 10.0  # the longest wait between two looks at an empty queue
    sweep_every: float = SWEEP_EVERY


def sweep(queue: Queue) -> int:
    """Queue again every job whose worker died while running it; how many."""
    locks = open_locks(queue.settings)
    try:
        return len(queue.enqueue(locks.reclaim()))
    finally:
        locks.close()


def warm_up(config: Config, store: Secrets | None = None) -> None:
    """Open each account's client once here, before the job threads start: their first imports
    of a platform's modules (requests, the SDKs) side by side fail half-initialised."""
    for account in config.accounts.values():
        with contextlib.suppress(CrosspostError):  # a job says it, with what to do
            open_client(account, store=store)


def warm_up_users(settings: Settings) -> None:
    """`warm_up` for every user of the worker: a client of each platform once (the imports are
    the same for all); a user whose config or secrets fail is named, and their jobs say why."""
    if settings.community is None:
        warm_up(load_config(settings.config))
        return
    platforms: set[str] = set()
    for user in settings.users():
        try:
            config = load_config(settings.config_for(user))
            fresh = {
                name: account
                for name, account in config.accounts.items()
                if account.platform.value not in platforms
            }
            if fresh:
                warm_up(replace(config, accounts=fresh), settings.secrets_for(user))
        except CrosspostError as error:
            LOG.error("user %s: %s; their jobs fail until it is fixed", user, error)
            continue
        platforms |= {account.platform.value for account in fresh.values()}


def run_worker(queue: Queue, options: WorkerOptions) -> None:
    """Run jobs until SIGINT or SIGTERM (Huey finishes the running jobs first)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Huey's own lines (each task's start, its retry count, the scheduler) say nothing a person
    # acts on; its warnings and errors still show. crosspost's lines say what each job did.
    logging.getLogger("huey").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request: for debugging
    stopped = threading.Event()

    def sweeper() -> None:
        while not stopped.wait(options.sweep_every):
            found = sweep(queue)
            if found:
                LOG.info("queued %d jobs left by dead workers", found)

    prepare_ledger(queue.settings)
    warm_up_users(queue.settings)
    sweep(queue)
    thread = threading.Thread(target=sweeper, name="sweeper", daemon=True)
    thread.start()
    consumer = queue.huey.create_consumer(
        workers=options.workers,
        worker_type="thread",
        periodic=False,
        max_delay=options.poll,
        scheduler_interval=1,
    )
    try:
        consumer.run()
    finally:
        stopped.set()
