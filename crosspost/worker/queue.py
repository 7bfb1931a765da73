"""The job queue on Huey (https://huey.readthedocs.io/): SqliteHuey, its file beside the ledger,
or RedisHuey on a server several machines share (crosspost.worker.backends.open_huey).

Jobs are (rule, target) pairs. A job stopped by a rate limit or a cap is scheduled for the reset
the engine reports (RetryTask with that delay: no retry is used up, nothing is tried hot); a job
that raises is retried by Huey after 30, 60, 120 ... s (`RETRIES` times); a job another worker
is running is tried again a few seconds later. Enqueueing skips a job already waiting or
scheduled, so a cron `crosspost sync --queue` never piles copies up: one read of the waiting
jobs per call, however many are queued.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from huey.exceptions import RetryTask

from crosspost.config import Config
from crosspost.worker.backends import open_huey
from crosspost.worker.job import JobLockedError, run_job
from crosspost.worker.locks import Job
from crosspost.worker.settings import Settings

LOG = logging.getLogger("crosspost.worker")
RETRIES = 8
RETRY_DELAY = 30.0  # seconds, doubled after each failure
TASK = "crosspost.sync_job"


def _epoch(eta: datetime | None) -> float:
    if eta is None:
        return 0.0
    return (eta if eta.tzinfo else eta.replace(tzinfo=UTC)).timestamp()


def _log(event: str, job: Job) -> None:
    # When each job held its lock, by the wall clock every worker shares (tests check overlaps).
    LOG.info("job %s %s at %.6f", event, job.key, time.time())


def jobs_of(config: Config, rule: str | None = None) -> list[Job]:
    rules = [config.rule(rule)] if rule else list(config.rules)
    return [Job(r.name, target) for r in rules for target in r.targets]


class Queue:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.huey = open_huey(settings)
        self.task: Any = self.huey.task(
            retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=2, name=TASK
        )(self._run)

    def _run(self, rule: str, target: str, user: str = "") -> None:
        job = Job(rule, target, user)
        try:
            again = run_job(self.settings, job, told=lambda event: _log(event, job))
        except JobLockedError:
            raise RetryTask(delay=self.settings.lock_retry) from None
        if again is not None and not self._scheduled_by(job, again):
            LOG.info("job %s: again in %.0f s", job.key, again - time.time())
            raise RetryTask(delay=max(again - time.time(), 0.0))

    def _scheduled_by(self, job: Job, when: float) -> bool:
        """Whether a copy of `job` is already scheduled to run by `when` (then this one ends:
        copies queued while one waited for a reset never pile up)."""
        # Only the messages that name the job's target are read (a pickle keeps its strings as
        # UTF-8): one job's check stays cheap with thousands scheduled for a shared reset.
        target = job.target.encode()
        for message in self.huey.storage.scheduled_items():
            if target not in message:
                continue
            task = self.huey.deserialize_task(message)
            if task.name == TASK and Job(*task.args) == job and _epoch(task.eta) <= when + 1.0:
                return True
        return False

    def waiting(self) -> set[Job]:
        """Jobs in the queue, about to run (a job scheduled for later is queued anew: it may
        wait for a failed post's backoff while new posts came)."""
        return {Job(*task.args) for task in self.huey.pending() if task.name == TASK}

    def enqueue(self, jobs: Iterable[Job]) -> list[Job]:
        """Queue each job not already waiting (nor twice in `jobs`); the ones queued."""
        wanted = list(dict.fromkeys(jobs))
        if not wanted:  # the sweeper's usual call: nothing to look up
            return []
        waiting = self.waiting()
        queued = [job for job in wanted if job not in waiting]
        for job in queued:
            self.task(job.rule, job.target, job.user)
        return queued
