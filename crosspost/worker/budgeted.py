"""A platform client that keeps to the budgets every worker shares (crosspost.worker.budgets):
it asks them before each request and tells them what each answer's rate-limit headers said, so
workers in other processes hold off too.

The budgets are the client's own (`SharesRateBudgets.rate_keys`: an app's key that many
accounts sign in with, the address requests come from, the account), else the account's alone.
Each is a `BudgetKey(platform, scope, id)`; a budget with windows (an hour's and a day's) has a
key for each, its id ending in "/<window>".

Every method that sends requests is wrapped, by name (`COUNTED`, `COUNTED_AS_SENT`): before the
first request of a call the budgets are taken from, and before every further request the call
makes (a page's follow-up, pages read ahead, a retry, a media upload before a post) they are
taken from again; past their end the call stops with `BudgetSpentError` (a RateLimitedError),
unsent, and its job is rescheduled for the reset. After every call, whether it succeeded or
failed, the readings of its answers are learnt.

A window nobody has a count of (none yet, or its reset has passed) is opened by one request
alone: a budget of 1 that lasts `PROBE` seconds is kept for it, and the answer's count replaces
it. Without that, every job waiting for a reset would go at once into a window whose count no
one knows, and those in flight when the first count came would be counted by nobody.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import wraps
from typing import Any, TypeVar

from crosspost.accounts import Account
from crosspost.errors import RateLimitedError
from crosspost.model import Limits, Media, Post, PostRef, Visibility
from crosspost.platforms.base import (
    Draft,
    Page,
    PlatformClient,
    RateScope,
    Reading,
    SharesRateBudgets,
)
from crosspost.platforms.retry import requests_gated_by
from crosspost.worker.budgets import BudgetKey, BudgetStore

T = TypeVar("T")
LOG = logging.getLogger("crosspost.worker")

# Optional abilities that send a request each time: counted before the call, as the core calls.
COUNTED = (
    "edit",
    "publish_thread",
    "upload_media",
    "fetch_profile",
    "fetch_collection",
    "fetch_history",
    "fetch_repo",
    "fetch_source",
    "entry_ids",
    "blog_info",
    "query",
)
# Abilities that ask the server once and keep the answer (the server's limits, its software, the
# collections a reader may list): each request they do send is counted as it goes out. `limits`
# (every client has it) is one of these too.
COUNTED_AS_SENT = (
    "server_limits",
    "server_software",
    "backdates",
    "stable_id",
    "account_id",
    "collections",
    "collections_unavailable",
)
# A reset said in whole seconds from now, or as the window's end plus the fraction of a second
# the request came in, may be up to a second after the window really ends. A count with requests
# left is kept until a second before (a job then opens the new window with one request, see
# above, rather than spending an old count in it); a spent one until the reset said.
RESET_SLACK = 1.0
# Two readings of one window whose resets are this close (seconds) are of the same window: the
# reset moves a little from answer to answer. Windows are minutes long and more (5 minutes,
# an hour, a day); this only has to be smaller than a window less twice the slack.
SAME_WINDOW = 1.5
UNKNOWN_WAIT = 60.0  # a rate limit that named no time: try again after this
PROBE = 1.0  # seconds a window nobody has a count of is kept to one request (see above)
PROBING = "a window no answer has counted yet: one request goes first"
# One store may be used by several clients of a job, and by the threads that read pages ahead;
# its calls are made one at a time.
_STORE_LOCKS: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_LOCK = threading.Lock()
_SHARED_LOCK = threading.Lock()  # for stores that cannot be referred to weakly


def _store_lock(store: BudgetStore) -> threading.Lock:
    with _LOCKS_LOCK:
        try:
            return _STORE_LOCKS.setdefault(store, threading.Lock())
        except TypeError:
            return _SHARED_LOCK


class BudgetSpentError(RateLimitedError):
    """A shared budget has nothing left before its reset: the request was not sent."""


def account_keys(account: Account) -> tuple[BudgetKey, ...]:
    """The budgets an account's calls count against: the account's own window."""
    return (BudgetKey(account.platform.value, "account", account.name),)


def budget_key(account: Account, scope: RateScope) -> BudgetKey:
    """Where a client's budget is kept: by platform, scope and id ("<id>/<window>")."""
    ident = f"{scope.id}/{scope.window}" if scope.window else scope.id
    return BudgetKey(account.platform.value, scope.scope, ident)


def client_keys(client: PlatformClient) -> tuple[BudgetKey, ...]:
    """The budgets `client`'s requests count against, as it names them."""
    if isinstance(client, SharesRateBudgets):
        return tuple(budget_key(client.account, scope) for scope in client.rate_keys())
    return account_keys(client.account)


class BudgetedClient:
    """Calls go through `client` once every budget it counts against has room; see the
    module's docstring. `keys` are the caller's: the account's own budget under the caller's
    name for it (the worker keeps each user's apart), which the client's "account" budgets are
    kept under, and any others; the client's other budgets (an app key's, an address's) are
    added, by the client's names, which are everyone's. Attributes that send nothing pass
    straight through."""

    def __init__(
        self,
        client: PlatformClient,
        keys: Sequence[BudgetKey],
        store: BudgetStore,
        clock: Callable[[], float],
        job: str = "",
    ) -> None:
        self._client, self._store, self._clock = client, store, clock
        self.account = client.account
        self._own = next((key for key in keys if key.scope == "account"), None)
        scopes = client.rate_keys() if isinstance(client, SharesRateBudgets) else ()
        named = [self._key(scope) for scope in scopes]
        if not named and self._own is None:
            named = list(account_keys(client.account))
        self._keys = tuple(dict.fromkeys((*named, *keys)))
        self._told = frozenset(self._key(scope) for scope in scopes if scope.told)
        self._job = job  # the job key the calls are made for, in the log
        self._learnt: dict[RateScope, Reading] = {}  # the last reading of each, as learnt
        self._counted: dict[BudgetKey, float] = {}  # the reset of each window a count was learnt
        self._lock = threading.Lock()
        self._store_lock = _store_lock(store)
        for name in COUNTED:
            if hasattr(client, name):  # an ability the client lacks stays lacking
                setattr(self, name, self._wrap(name, getattr(client, name), counted=True))
        for name in COUNTED_AS_SENT:
            if hasattr(client, name):
                setattr(self, name, self._wrap(name, getattr(client, name), counted=False))

    def __getattr__(self, name: str) -> Any:
        # Only what the lists above do not name comes here: a method is still watched, each
        # request it sends counted, so one added to a client later is not left uncounted.
        value = getattr(self._client, name)
        if callable(value) and not isinstance(value, type):
            return self._wrap(name, value, counted=False)
        return value

    @property
    def keys(self) -> tuple[BudgetKey, ...]:
        return self._keys

    def _key(self, scope: RateScope) -> BudgetKey:
        """Where one of the client's budgets is kept: its account's under the caller's name."""
        if scope.scope == "account" and self._own is not None:
            own = self._own.id
            return replace(self._own, id=f"{own}/{scope.window}" if scope.window else own)
        return budget_key(self.account, scope)

    def _wrap(self, name: str, method: Callable[..., T], *, counted: bool) -> Callable[..., T]:
        what = name.replace("_", " ")

        @wraps(method)
        def call(*args: Any, **kwargs: Any) -> T:
            return self._call(what, lambda: method(*args, **kwargs), counted=counted)

        return call

    def _call(self, what: str, fn: Callable[[], T], *, counted: bool = True) -> T:
        """Run `fn` within the budgets. `counted`: take for its first request now, before it
        starts (else each request is taken for as it goes out)."""
        started = self._clock()
        if counted:
            self._take(what)
        first = [counted]

        def gate(request: str) -> None:
            if first[0]:  # the call's first request: taken for above
                first[0] = False
                return
            self._learn()  # what the answers so far said, before asking again
            self._take(request)

        try:
            with requests_gated_by(gate):
                result = fn()
        except BudgetSpentError:
            self._learn()
            raise
        except RateLimitedError as error:
            self._learn()
            self._spend(error, started)
            raise
        except Exception:
            self._learn()
            raise
        self._learn()
        return result

    def _take(self, what: str) -> None:
        now = self._clock()
        with self._store_lock:
            self._probe(now)
            spent = self._store.take(self._keys, now)
        if spent is not None:
            raise BudgetSpentError(
                f"{what}: the shared budget {spent.key} is used up ({spent.why}); "
                f"nothing was sent, the job is rescheduled",
                retry_after=max(spent.until - now, 0.0),
            )

    def _readings(self) -> list[Reading]:
        client = self._client
        return client.rate_readings() if isinstance(client, SharesRateBudgets) else []

    def _probe(self, now: float) -> None:
        """Keep each window told of that nobody has a live count of to one request (PROBE)."""
        unsure = [
            key for key in self._keys if key in self._told and self._counted.get(key, 0) <= now
        ]
        if not unsure:
            return
        live = {
            key: reset
            for key, left, reset, _ in self._store.budgets()
            if reset is not None and reset > now and left is not None
        }
        until = (math.floor(now / PROBE) + 1) * PROBE  # the same in every process, so the
        for key in unsure:  # lower count of two probes wins
            if key in live:
                self._counted[key] = live[key]  # another process's count: asked again then
            else:
                self._store.learn(key, 1, until, PROBING, now)

    def _learn(self) -> None:
        """Tell the store each reading that is new since the last time."""
        with self._lock:
            fresh = [r for r in self._readings() if self._learnt.get(r.scope) != r]
            for reading in fresh:
                self._learnt[reading.scope] = reading
        now = self._clock()
        ends = {r.scope: _kept_until(r) for r in fresh}
        fresh = [r for r in fresh if ends[r.scope] > now]
        if not fresh:
            return
        with self._store_lock:
            known = {key: (reset, why) for key, _, reset, why in self._store.budgets()}
            for reading in fresh:
                key = self._key(reading.scope)
                reset = ends[reading.scope]
                stored, why = known.get(key, (None, ""))
                if stored is not None and stored > now and why != PROBING:
                    if stored - reset > SAME_WINDOW:
                        continue  # an answer from before a window that is known to have begun
                    if abs(stored - reset) <= SAME_WINDOW and (reading.remaining or 0) > 0:
                        reset = stored  # the same window: the lower count of the two wins
                    # (A spent count is the lowest there is: kept until the reset it said.)
                self._store.learn(key, reading.remaining, reset, _why(reading), now)
                if reading.remaining is not None:
                    self._counted[key] = reset

    def _spend(self, error: RateLimitedError, started: float) -> None:
        """A call was refused for now: each budget that no answer of this call showed with
        requests left is spent until the time the error named (a reading with requests left
        tells of another limit than the one met: a blog's daily posts, not the app's calls)."""
        now = self._clock()
        wait = error.retry_after if error.retry_after is not None else UNKNOWN_WAIT
        open_ = {
            self._key(r.scope)
            for r in self._readings()
            if r.seen is not None and r.seen >= started and (r.remaining or 0) > 0
        }
        with self._store_lock:
            for key in self._keys:
                if key not in open_:
                    self._store.learn(key, 0, now + wait, str(error), now)
                    self._counted[key] = now + wait

    def limits(self) -> Limits:
        return self._call("read limits", self._client.limits, counted=False)

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


def _kept_until(reading: Reading) -> float:
    """Until when a reading's count is kept (RESET_SLACK); 0 for one without a reset."""
    if reading.reset is None:
        return 0.0
    if reading.remaining is not None and reading.remaining > 0:
        return reading.reset - RESET_SLACK
    return reading.reset


def _why(reading: Reading) -> str:
    said = f"{reading.remaining} left" if reading.remaining is not None else "no count"
    if reading.limit is not None:
        said += f" of {reading.limit}"
    return f"{reading.name}: {said}, as the server said"
