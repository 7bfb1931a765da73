"""A platform client that asks the shared budgets (crosspost.worker.budgets) before each call and
tells them of each rate limit it meets, so workers in other processes hold off too."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from crosspost.accounts import Account
from crosspost.errors import RateLimitedError
from crosspost.model import Limits, Media, Post, PostRef, Visibility
from crosspost.platforms.base import Draft, Page, PlatformClient
from crosspost.worker.budgets import BudgetKey, BudgetStore

T = TypeVar("T")
LOG = logging.getLogger("crosspost.worker")


def account_keys(account: Account) -> tuple[BudgetKey, ...]:
    """The budgets an account's calls count against: the account's own window."""
    return (BudgetKey(account.platform.value, "account", account.name),)


class BudgetedClient:
    """Calls go through `client` once every budget in `keys` has room; optional abilities
    (edit, server limits ...) pass straight through to it."""

    def __init__(
        self,
        client: PlatformClient,
        keys: Sequence[BudgetKey],
        store: BudgetStore,
        clock: Callable[[], float],
        job: str = "",
    ) -> None:
        self._client, self._keys, self._store, self._clock = client, tuple(keys), store, clock
        self.account = client.account
        self._job = job  # the job key the calls are made for, in the log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        now = self._clock()
        spent = self._store.take(self._keys, now)
        if spent is not None:
            raise RateLimitedError(
                f"{what}: the shared budget {spent.key} is used up ({spent.why}); "
                f"nothing was sent, the job is rescheduled",
                retry_after=max(spent.until - now, 0.0),
            )
        try:
            return fn()
        except RateLimitedError as error:
            wait = error.retry_after if error.retry_after is not None else 60.0
            for key in self._keys:
                self._store.learn(key, 0, self._clock() + wait, str(error), self._clock())
            raise

    def limits(self) -> Limits:
        return self._client.limits()

    def fetch_page(self, cursor: str | None = None) -> Page:
        return self._call("list posts", lambda: self._client.fetch_page(cursor))

    def fetch_post(self, ref: PostRef) -> Post | None:
        return self._call("read a post", lambda: self._client.fetch_post(ref))

    def sees(self, visibility: Visibility) -> bool:
        return self._client.sees(visibility)

    def publish(self, draft: Draft) -> PostRef:
        ref = self._call("publish", lambda: self._client.publish(draft))
        # Which job, process and thread posted what where: a post twice on a target is traced.
        LOG.info(
            "published %s on %s by job %s (pid %d, %s)",
            ref.id,
            self.account.name,
            self._job,
            os.getpid(),
            threading.current_thread().name,
        )
        return ref

    def find_published(self, draft: Draft) -> PostRef | None:
        return self._call("look for a post", lambda: self._client.find_published(draft))

    def delete(self, ref: PostRef) -> None:
        self._call("delete", lambda: self._client.delete(ref))

    def fetch_media(self, media: Media) -> bytes:
        return self._call("fetch media", lambda: self._client.fetch_media(media))
