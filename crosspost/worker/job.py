"""One job: one rule's one target, run through the sync engine (SyncEngine.run_target), under
its named lock, with clients that keep to the shared budgets. Says when to run again: a rate
limit's or a cap's reset, or the earliest retry of a post that failed; None when all is done."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from crosspost.accounts import Account
from crosspost.clients import open_client
from crosspost.config import load_config
from crosspost.credentials import Secrets
from crosspost.errors import CrosspostError, RateLimitedError
from crosspost.platforms.base import PlatformClient
from crosspost.sync import StopSignal, SyncEngine
from crosspost.worker.backends import open_budgets, open_ledger, open_locks
from crosspost.worker.budgeted import BudgetedClient, account_keys
from crosspost.worker.budgets import BudgetKey, BudgetStore
from crosspost.worker.locks import Heartbeat, Job
from crosspost.worker.settings import Settings

Opener = Callable[[Account, bool], PlatformClient]


class JobLockedError(CrosspostError):
    """Another worker is running the same job key: try again shortly, never side by side."""


def _opener(store: Secrets | None) -> Opener:
    """Clients with the credentials of `store` (None: the OS keyring and environment)."""

    def opened(account: Account, writing: bool) -> PlatformClient:
        return open_client(account, store=store, for_writing=writing)

    return opened


def prepare_ledger(settings: Settings, users: Iterable[str] | None = None) -> None:
    """Make (or bring up to date) each user's ledger once, before any job opens it: jobs that
    open a new ledger side by side would each try to create its tables. The worker file's write
    lock keeps two starting workers apart."""
    locks = open_locks(settings)
    try:
        with locks.exclusive():
            for user in settings.users() if users is None else users:
                open_ledger(settings, user).close()
    finally:
        locks.close()


def run_job(
    settings: Settings,
    job: Job,
    *,
    clock: Callable[[], float] = time.time,
    stop: StopSignal | None = None,
    opener: Opener | None = None,
    told: Callable[[str], None] = lambda event: None,
) -> float | None:
    """Run `job` once; when to run it again (epoch seconds), or None. `told` hears "start" once
    the lock is held and "end" just before it is released. Clients come from `opener`, else
    with the credentials of the job's user."""
    locks = open_locks(settings, clock)
    try:
        token = locks.acquire(job)
        if token is None:
            raise JobLockedError(f"job {job.key} is running in another worker")
        told("start")
        stop = stop or StopSignal()
        try:
            with Heartbeat(locks, job, token, lost=stop.request):  # a lease kept while it runs
                return _run_locked(settings, job, clock, stop, opener)
        finally:
            told("end")
            locks.release(job, token)
    finally:
        locks.close()


def _run_locked(
    settings: Settings,
    job: Job,
    clock: Callable[[], float],
    stop: StopSignal | None,
    opener: Opener | None,
) -> float | None:
    config = load_config(settings.config_for(job.user))
    rule = config.rule(job.rule)
    opened = opener or _opener(settings.secrets_for(job.user))
    budgets = open_budgets(settings)

    def clients(account: Account, writing: bool) -> PlatformClient:
        keys = _keys_of(account, job.user)
        return BudgetedClient(opened(account, writing), keys, budgets, clock, job.key)

    try:
        with open_ledger(settings, job.user) as ledger:
            engine = SyncEngine(config, ledger, clients, clock=clock, stop=stop)
            try:
                report = engine.run_target(rule, job.target)
            except RateLimitedError as error:  # reading the source, or checking the target
                return clock() + (error.retry_after if error.retry_after is not None else 60.0)
            if report.resume_at is not None:
                return report.resume_at
            if report.stopped:  # a rate limit before anything was queued: the budgets say when
                return _reset_of(budgets, clock())
            retries = [
                when for _, _, when in ledger.status(rule.name, job.target, clock()).failed if when
            ]
            return min(retries) if retries else None
    finally:
        budgets.close()


def _keys_of(account: Account, user: str) -> tuple[BudgetKey, ...]:
    """The budgets of an account's calls; an account's own window is its user's (two users may
    name their accounts alike), the windows of an app key or an address are everyone's."""
    keys = account_keys(account)
    if not user:
        return keys
    return tuple(replace(k, id=f"{user}/{k.id}") if k.scope == "account" else k for k in keys)


def _reset_of(budgets: BudgetStore, now: float, fallback: float = 60.0) -> float:
    """The earliest reset of a budget used up now, else `fallback` seconds from now."""
    resets = [
        reset
        for _, remaining, reset, _ in budgets.budgets()
        if reset is not None and reset > now and remaining is not None and remaining <= 0
    ]
    return min(resets) if resets else now + fallback
