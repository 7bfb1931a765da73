"""Where the worker keeps what it shares: the Huey queue, the job locks, the rate budgets and the
ledger. One machine (the default) keeps them in SQLite files beside the ledger; several machines
share them on servers named by URL (`Settings.queue_url`: a Redis server for the queue, the locks
and the budgets; `Settings.ledger_url`: a PostgreSQL database for the ledger).

Each `open_*` takes the settings and gives an object of the one interface every backend has:
nothing above this module asks which backend it got.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from crosspost.errors import ConfigError
from crosspost.state import Ledger, is_postgres_url
from crosspost.state import open_ledger as open_state
from crosspost.worker.budgets import BudgetStore, SqliteBudgets
from crosspost.worker.files import private, queue_file, worker_file
from crosspost.worker.locks import JobLocks, JobLockStore
from crosspost.worker.settings import Settings

if TYPE_CHECKING:
    from huey import Huey

QUEUE_NAME = "crosspost"
QUEUE_URLS = "redis://HOST:PORT/DB, rediss://HOST:PORT/DB or unix:///PATH?db=DB"
LEASE_ENV = "CROSSPOST_LOCK_LEASE"  # seconds a Redis job lock outlives its last renewal


def _unsupported(what: str, url: str, kinds: str) -> ConfigError:
    return ConfigError(f"{what} {url!r}: not a URL crosspost can use here ({kinds})")


def _redis_url(settings: Settings) -> str:
    from crosspost.worker.redis_client import is_redis_url, redacted

    assert settings.queue_url is not None
    if not is_redis_url(settings.queue_url):
        raise _unsupported("queue", redacted(settings.queue_url), QUEUE_URLS)
    return settings.queue_url


def queue_place(settings: Settings) -> str:
    """Where the queue is, for a person: its file, or its server's URL (without a password)."""
    if settings.queue_url is None:
        return str(queue_file(settings.state))
    from crosspost.worker.redis_client import redacted

    return redacted(settings.queue_url)


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
    from crosspost.worker.redis_queue import open_redis_huey

    return open_redis_huey(QUEUE_NAME, _redis_url(settings))


def lock_lease() -> float:
    """Seconds a Redis job lock outlives its last renewal: 60, or CROSSPOST_LOCK_LEASE. A
    killed worker's jobs are queued again this long (and one sweep) after it died."""
    from crosspost.worker.redis_locks import LEASE

    text = os.environ.get(LEASE_ENV, "")
    try:
        lease = float(text) if text else LEASE
    except ValueError:
        raise ConfigError(f"{LEASE_ENV}={text!r}: give the lease in seconds, e.g. 60") from None
    if lease <= 0:
        raise ConfigError(f"{LEASE_ENV}={text!r}: the lease must be more than 0 seconds")
    return lease


def open_locks(settings: Settings, clock: Callable[[], float] = time.time) -> JobLockStore:
    """The named job locks: one job key runs at a time across every worker."""
    if settings.queue_url is None:
        return JobLocks(worker_file(settings.state), clock=clock)
    from crosspost.worker.redis_client import redis_client
    from crosspost.worker.redis_locks import RedisJobLocks

    return RedisJobLocks(redis_client(_redis_url(settings)), lease=lock_lease(), clock=clock)


def open_budgets(settings: Settings) -> BudgetStore:
    """The rate budgets every worker shares."""
    if settings.queue_url is None:
        return SqliteBudgets(worker_file(settings.state))
    from crosspost.worker.redis_budgets import RedisBudgets
    from crosspost.worker.redis_client import redis_client

    return RedisBudgets(redis_client(_redis_url(settings)))


def open_ledger(settings: Settings, user: str = "") -> Ledger:
    """The ledger of `user` ("" for a single user's setup): its own SQLite file, or its own
    schema in the PostgreSQL database `settings.ledger_url` names."""
    if settings.ledger_url is None:
        return Ledger(settings.state_for(user))
    if is_postgres_url(settings.ledger_url):
        return open_state(settings.ledger_url, namespace=user)
    raise _unsupported("ledger", settings.ledger_url, "postgresql://USER@HOST/DATABASE")
