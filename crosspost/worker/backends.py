"""Where the worker keeps what it shares: the Huey queue, the job locks, the rate budgets and the
ledger. One machine (the default) keeps them in SQLite files beside the ledger; several machines
share them on servers named by URL (`Settings.queue_url`: a Redis server for the queue, the locks
and the budgets; `Settings.ledger_url`: a PostgreSQL database for the ledger).

Each `open_*` takes the settings and gives an object of the one interface every backend has:
nothing above this module asks which backend it got.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from crosspost.errors import ConfigError
from crosspost.state import Ledger, is_postgres_url
from crosspost.state import open_ledger as open_state
from crosspost.worker.budgets import BudgetStore, SqliteBudgets
from crosspost.worker.files import private, queue_file, worker_file
from crosspost.worker.locks import JobLocks
from crosspost.worker.settings import Settings

if TYPE_CHECKING:
    from huey import Huey

QUEUE_NAME = "crosspost"


def _unsupported(what: str, url: str, kinds: str) -> ConfigError:
    return ConfigError(f"{what} {url!r}: not a URL crosspost can use here ({kinds})")


def open_huey(settings: Settings) -> Huey:
    """The Huey instance jobs are queued on and run from."""
    if settings.queue_url is None:
        from huey import SqliteHuey

        return SqliteHuey(
            QUEUE_NAME,
            filename=str(private(queue_file(settings.state))),
            results=False,
            utc=True,
        )
    raise _unsupported("queue", settings.queue_url, "redis://HOST:PORT/DB")


def open_locks(settings: Settings, clock: Callable[[], float] = time.time) -> JobLocks:
    """The named job locks: one job key runs at a time across every worker."""
    if settings.queue_url is None:
        return JobLocks(worker_file(settings.state), clock=clock)
    raise _unsupported("queue", settings.queue_url, "redis://HOST:PORT/DB")


def open_budgets(settings: Settings) -> BudgetStore:
    """The rate budgets every worker shares."""
    if settings.queue_url is None:
        return SqliteBudgets(worker_file(settings.state))
    raise _unsupported("queue", settings.queue_url, "redis://HOST:PORT/DB")


def open_ledger(settings: Settings, user: str = "") -> Ledger:
    """The ledger of `user` ("" for a single user's setup): its own SQLite file, or its own
    schema in the PostgreSQL database `settings.ledger_url` names."""
    if settings.ledger_url is None:
        return Ledger(settings.state_for(user))
    if is_postgres_url(settings.ledger_url):
        return open_state(settings.ledger_url, namespace=user)
    raise _unsupported("ledger", settings.ledger_url, "postgresql://USER@HOST/DATABASE")
