"""One retry loop for every platform: bounded waits on rate limits and transient failures.

Tumblr, Mastodon and Bluesky each used to carry their own loop, and the copies had drifted (a
Bluesky 502 that outlasted its retries was reported as a rate limit; a Mastodon answer that was not
JSON was known by matching words another module wrote). Now each adapter only says what an
answer means, as a `Verdict`, and fills a `RateBudget` from its own rate-limit headers;
`call_with_retry` owns the rules:

- `Ok`: done. `Fatal`: raised as it is, never retried.
- `RateLimited`: wait `retry_after` (else back off 1, 2, 4 ... s) and call again, whether the
  call reads or writes: the server refused it, so nothing happened. A wait longer than
  `max_wait`, or the last attempt, raises RateLimitedError with `retry_after` instead. After the
  wait the budget counts as renewed: the server said when to come back.
- `Transient` (a 5xx, a dropped connection, an answer that is not JSON): the call may have
  happened. A call that may be repeated (every read; a write whose repeat cannot make a second
  post, which each adapter declares with `repeatable=`) is tried again after 1, 2, 4 ... s, and
  after `max_attempts` a PlatformError says what kept failing. Any other call raises
  OutcomeUnknownError at once, for the caller to look for what the first try left.
- Before each call, a window of the budget with no requests left is waited out until its reset
  (or, past `max_wait`, RateLimitedError), rather than earning a 429.
- Before each request, a gate set with `requests_gated_by` (a worker's shared budgets, kept across
  processes) may refuse it with RateLimitedError, unsent.

What the headers said is also told platform-neutrally: a client that `SharesRateBudgets`
(platforms/base.py) names the budgets its calls count against as `RateScope`s and what the server
last said of each as `Reading`s, so budgets shared by many processes can be kept without knowing
any platform's headers.

Time and sleeping come from the `RetryPolicy`, so tests never wait.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Generic, TypeAlias, TypeVar

from crosspost.errors import PlatformError, RateLimitedError

T = TypeVar("T")
R = TypeVar("R")

Clock = Callable[[], float]  # seconds since the epoch, like time.time
Sleeper = Callable[[float], None]  # like time.sleep

# The longest a single wait on a rate limit may last before the adapter gives up and raises
# RateLimitedError (with retry_after) so the caller can stop cleanly and resume later.
DEFAULT_MAX_WAIT = 300.0
# How long any one request may wait for the server's answer, on every platform: a hung server
# costs a run 4 tries of this, not of a library's own default (Mastodon.py waits 300 s).
REQUEST_TIMEOUT = 30.0
GAVE_UP = (
    "{what}: {problem}, {attempts} times in a row; try again later "
    "(run the same command again: nothing is lost)"
)


@dataclass(frozen=True, slots=True)
class WaitNotice:
    """A wait a person should hear about: a rate limit being waited out before a retry."""

    what: str  # the call ("list posts")
    host: str  # the server that asked for it, where known
    seconds: float
    attempt: int  # the attempt that follows the wait, from 1
    attempts: int

    @property
    def message(self) -> str:
        by = f" by {self.host}" if self.host else ""
        return (
            f"{self.what}: rate limited{by}: waiting {self.seconds:.0f} s "
            f"(attempt {self.attempt} of {self.attempts})"
        )


WaitListener = Callable[[WaitNotice], None]
_LISTENERS: list[WaitListener] = []
NOTICE_AFTER = 2.0  # waits shorter than this pass without a word


@contextmanager
def waits_told_to(listener: WaitListener) -> Iterator[None]:
    """While inside, every rate-limit wait of NOTICE_AFTER seconds or more is told to `listener`
    before it starts (the CLI shows it with a countdown), so a long wait never looks like a hang."""
    _LISTENERS.append(listener)
    try:
        yield
    finally:
        _LISTENERS.remove(listener)


def _tell(notice: WaitNotice) -> None:
    if notice.seconds >= NOTICE_AFTER:
        for listener in list(_LISTENERS):
            listener(notice)


class OutcomeUnknownError(PlatformError):
    """A write may or may not have happened (timeout, connection lost, 5xx after sending)."""


@dataclass
class RetryPolicy:
    """Bounded waiting on rate limits and transient server errors, with injected time."""

    sleep: Sleeper = time.sleep
    clock: Clock = time.time
    max_wait: float = DEFAULT_MAX_WAIT
    max_attempts: int = 4

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt `attempt` (from 0) when the server named none."""
        return min(2.0**attempt, 60.0)

    def wait_or_raise(
        self, what: str, retry_after: float | None, attempt: int, host: str = ""
    ) -> None:
        """Sleep before attempt `attempt + 1`, or raise RateLimitedError when waiting is no use."""
        delay = retry_after if retry_after is not None else self.backoff(attempt)
        if attempt + 1 >= self.max_attempts or delay > self.max_wait:
            by = f" by {host}" if host else ""
            raise RateLimitedError(
                f"{what}: rate limited{by}; try again in {max(delay, 1):.0f} s "
                "(run the same command again then)",
                retry_after=delay,
            )
        _tell(WaitNotice(what, host, max(delay, 0.0), attempt + 2, self.max_attempts))
        self.sleep(max(delay, 0.0))

    def wait_or_fail(self, what: str, problem: str, attempt: int, gave_up: str = GAVE_UP) -> None:
        """Sleep before retrying a transient failure (a 5xx, a dropped connection, a garbled
        answer), or raise PlatformError saying what kept failing once the attempts are spent."""
        if attempt + 1 >= self.max_attempts:
            raise PlatformError(gave_up.format(what=what, problem=problem, attempts=attempt + 1))
        self.sleep(self.backoff(attempt))

    def seconds_until(self, epoch_seconds: float) -> float:
        return max(epoch_seconds - self.clock(), 0.0)


@dataclass(frozen=True, slots=True)
class Ok(Generic[R]):
    """The call succeeded; `value` is what `call_with_retry` returns."""

    value: R


@dataclass(frozen=True, slots=True)
class RateLimited:
    """The server refused the call for now (429); `retry_after` in seconds, when it said."""

    retry_after: float | None


@dataclass(frozen=True, slots=True)
class Transient:
    """A failure worth another try: `problem` names it in the error raised once the attempts are
    spent, worded by `gave_up` (fields `what`, `problem`, `attempts`)."""

    problem: str
    gave_up: str = GAVE_UP


@dataclass(frozen=True, slots=True)
class Fatal:
    """A failure no retry mends; `error` is raised as it is."""

    error: Exception


Verdict: TypeAlias = Ok[R] | RateLimited | Transient | Fatal


@dataclass
class RateWindow:
    """One rate-limit window as the platform's headers last told it (None: unknown)."""

    remaining: int | None = None  # requests left in the window
    reset: float | None = None  # epoch seconds when the window starts afresh
    limit: int | None = None  # requests the whole window allows
    seen: float | None = None  # epoch seconds of the answer that said so

    @property
    def spent(self) -> bool:
        return self.remaining is not None and self.remaining <= 0 and self.reset is not None


@dataclass
class RateBudget:
    """The windows an adapter keeps from its rate-limit headers, by a name that reads in an error
    ("Tumblr's perhour API call limit"); how the headers are read stays with each adapter."""

    windows: dict[str, RateWindow] = field(default_factory=dict)

    def wait(self, what: str, policy: RetryPolicy, host: str = "") -> None:
        """Before a call: wait out each spent window until its reset, or raise RateLimitedError
        when that is further off than `max_wait` (the window stays spent: no request is sent)."""
        for name, window in self.windows.items():
            if not window.spent:
                continue
            assert window.reset is not None
            delay = policy.seconds_until(window.reset)
            if delay > policy.max_wait:
                raise RateLimitedError(
                    f"{what}: {name} is used up; try again in {delay:.0f} s "
                    "(run the same command again then)",
                    retry_after=delay,
                )
            if delay > 0:
                _tell(WaitNotice(f"{what} ({name})", host, delay, 1, policy.max_attempts))
                policy.sleep(delay)
            window.remaining = None

    def renew(self) -> None:
        """After waiting out a 429 as the server asked: its old counts no longer hold."""
        for window in self.windows.values():
            window.remaining = None


@dataclass(frozen=True, slots=True)
class RateScope:
    """One budget a client's requests count against, in words no platform owns: `scope` is what
    the server counts by ("app": an app's key, shared by everyone who uses it; "ip": the address
    the requests come from; "account"), `id` which one (never a secret: a key is named by a
    digest), `window` which of its windows ("perhour", "perday"; "" where it has one). `told`:
    whether every answer tells of it (False: only a limit met, or an answer now and then, does:
    a blog's daily posting cap, a Bluesky account's write points)."""

    scope: str
    id: str
    window: str = ""
    told: bool = True


@dataclass(frozen=True, slots=True)
class Reading:
    """What a server's rate-limit headers last said of one budget: requests left, of how many,
    and when the window starts afresh (epoch seconds); `seen`, when the answer came (epoch
    seconds); `name` reads in a message ("Tumblr's perhour API call limit")."""

    scope: RateScope
    remaining: int | None
    limit: int | None
    reset: float | None
    seen: float | None
    name: str


def reading_of(scope: RateScope, window: RateWindow, name: str) -> Reading | None:
    """A window as a reading, or None while no answer has said anything of it."""
    if window.remaining is None and window.reset is None:
        return None
    return Reading(scope, window.remaining, window.limit, window.reset, window.seen, name)


def app_digest(key: str) -> str:
    """How an app's key names its budget: a digest, so the key itself is never stored or shown
    (the first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


RequestGate = Callable[[str], None]  # before a request: raises RateLimitedError to refuse it
_GATE: ContextVar[RequestGate | None] = ContextVar("crosspost_request_gate", default=None)


@contextmanager
def requests_gated_by(gate: RequestGate) -> Iterator[None]:
    """While inside (in this thread or task), `gate(what)` is asked before every request the
    retry loop sends, retries included; it raises RateLimitedError to refuse one, unsent. The
    worker keeps the budgets it shares with other processes this way (worker/budgeted.py)."""
    token = _GATE.set(gate)
    try:
        yield
    finally:
        _GATE.reset(token)


def call_with_retry(
    fn: Callable[[], T],
    classify: Callable[[T | Exception], Verdict[R]],
    policy: RetryPolicy,
    budget: RateBudget | None = None,
    *,
    what: str,
    repeatable: bool,
    host: str = "",
) -> R:
    """Call `fn` until `classify` (given what it returned, or the exception it raised) says Ok,
    within `policy`'s bounds; `what` starts every error message. `repeatable`: whether the call
    may be sent again after a transient failure that may have reached the server."""
    for attempt in itertools.count():
        gate = _GATE.get()
        if gate is not None:  # first: a budget other processes spent stops the call unsent
            gate(what)
        if budget is not None:
            budget.wait(what, policy, host)
        verdict = classify(_outcome(fn))
        if isinstance(verdict, Ok):
            return verdict.value
        if isinstance(verdict, Fatal):
            raise verdict.error
        if isinstance(verdict, RateLimited):
            policy.wait_or_raise(what, verdict.retry_after, attempt, host)
            if budget is not None:
                budget.renew()
        elif not repeatable:
            raise OutcomeUnknownError(f"{what}: {verdict.problem}")
        else:
            policy.wait_or_fail(what, verdict.problem, attempt, verdict.gave_up)
    raise AssertionError("unreachable: the attempts are counted without end")


def _outcome(fn: Callable[[], T]) -> T | Exception:
    try:
        return fn()
    except Exception as error:
        return error
