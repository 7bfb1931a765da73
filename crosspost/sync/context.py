"""What one sync run shares: the ledger, the clients, the clock, the run's options and its plans.

The engine (the publish loop), `propagate` (edits and deletes) and `recover` (rebuilding the
ledger, adopting hand-made copies) all work on the same things. They get them from a
`SyncContext`, never from the engine, so neither helper imports the engine: the engine imports
them, and the imports point one way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from crosspost.accounts import Account
from crosspost.config import Config, SyncRule
from crosspost.errors import CrosspostError, RateLimitedError
from crosspost.model import Limits, Post, PostRef
from crosspost.platforms.base import HasServerLimits, PlatformClient
from crosspost.platforms.registry import with_platform_rules
from crosspost.progress import NoProgress, Progress
from crosspost.state import Ledger, MirrorStatus
from crosspost.sync.caps import DEFAULT_CAPS, Caps
from crosspost.sync.plan import MIGRATION_PREFIX, TargetPlan, plan_target, with_key_time
from crosspost.sync.quotes import (
    NO_QUOTE,
    QuoteOnTarget,
    ledger_keys,
    link_for,
    native_ref,
    quoted_in_full,
    quoted_ref,
    with_quote,
)

ClientFactory = Callable[[Account, bool], PlatformClient]  # (account, for_writing) -> client


class StopSignal:
    """Set by a signal handler (or a test); the engine stops after the current post."""

    def __init__(self) -> None:
        self.requested = False

    def request(self, *args: object) -> None:
        self.requested = True


@dataclass(frozen=True, slots=True)
class Backoff:
    """Seconds before a failed post is tried again: base * 2^(attempts - 1), at most `cap`."""

    base: float = 300.0
    cap: float = 86_400.0

    def delay(self, attempts: int) -> float:
        return float(min(self.base * 2 ** max(attempts - 1, 0), self.cap))


@dataclass(frozen=True, slots=True)
class Publishing:
    """How drafts are made for a run: migration keeps dates and may add a line, after the text
    (`date_line`) or, where the post becomes a thread, at the start of its first post
    (`lead_line`), so the line is where a reader starts."""

    backdate: bool = False
    date_line: Callable[[Post, Limits], Post] | None = None
    lead_line: Callable[[Post, Limits], Post] | None = None


DEFAULT_BACKOFF = Backoff()
DEFAULT_PUBLISHING = Publishing()  # a sync run's: today's date, the text as it is


@dataclass(eq=False, kw_only=True)
class SyncContext:
    """One run's shared state. A dry run's `state` is a throwaway copy (the caller makes it),
    and its clients are never opened for writing."""

    config: Config
    state: Ledger
    factory: ClientFactory
    progress: Progress = field(default_factory=NoProgress)
    clock: Callable[[], float] = time.time
    dry_run: bool = False
    backoff: Backoff = DEFAULT_BACKOFF
    stop: StopSignal = field(default_factory=StopSignal)
    caps: Caps = field(default_factory=lambda: DEFAULT_CAPS)
    _clients: dict[tuple[str, bool], PlatformClient] = field(default_factory=dict, init=False)
    _limits: dict[str, Limits] = field(default_factory=dict, init=False)
    _server_limits: dict[str, Limits] = field(default_factory=dict, init=False)
    # Planning is pure: a plan made when queueing is reused when publishing in the same run.
    _plans: dict[tuple[str, str, bool, QuoteOnTarget], TargetPlan] = field(
        default_factory=dict, init=False
    )
    _fetched: dict[tuple[str, str], PostRef | None] = field(default_factory=dict, init=False)
    _sources: dict[str, Post] = field(default_factory=dict, init=False)

    def client(self, name: str, *, writing: bool = False) -> PlatformClient:
        """The account's client, made once per run (and per reading or writing)."""
        writing = writing and not self.dry_run
        key = (name, writing)
        if key not in self._clients:
            self._clients[key] = self.factory(self.config.account(name), writing)
        return self._clients[key]

    def limits(self, target: str) -> Limits:
        if target not in self._limits:
            limits = self.client(target, writing=True).limits()
            self._limits[target] = with_platform_rules(limits)
        return self._limits[target]

    def server_limits(self, target: str) -> Limits:
        """The target server's own limits (what a payload is checked against), where its client
        reads them; else the limits the fitter uses. Asked once per target and run: a
        runtime-checkable protocol's isinstance costs tens of microseconds."""
        if target not in self._server_limits:
            client = self.client(target)
            self._server_limits[target] = with_platform_rules(
                client.server_limits() if isinstance(client, HasServerLimits) else client.limits()
            )
        return self._server_limits[target]

    def source(self, key: str) -> Post | None:
        """A source post: as planned in this run, else as the ledger stored it."""
        return self._sources.get(key) or self.state.load_source(key)

    def plan(
        self,
        rule: SyncRule,
        post: Post,
        target: str,
        publishing: Publishing = DEFAULT_PUBLISHING,
        first_intent: float | None = None,
    ) -> TargetPlan:
        """The drafts of `post` on `target`, their identities keyed by the source's own date,
        the same on every retry and every machine (`first_intent` is no longer used for it)."""
        quote = self.quote(post, target)
        cache = (post.ref.key, target, publishing.backdate, quote)
        planned = self._plans.get(cache)
        if planned is None or self._sources.get(post.ref.key) != post:
            limits = self.limits(target)
            quoting = with_quote(post, quote)
            dated = publishing.date_line(quoting, limits) if publishing.date_line else quoting
            planned = plan_target(dated, rule, target, limits, backdate=publishing.backdate)
            if len(planned.drafts) > 1 and publishing.lead_line is not None:
                led = publishing.lead_line(quoting, limits)
                planned = plan_target(led, rule, target, limits, backdate=publishing.backdate)
            self._plans[cache] = planned
            self._sources[post.ref.key] = post
        # The source's own date, never a time of this run: a mirror's identity then follows from
        # its source alone, so a lost ledger cannot make a second copy (Bluesky: the same key).
        return with_key_time(planned, post.created_at)

    # --- quotes ------------------------------------------------------------------------------

    def quote(self, post: Post, target: str) -> QuoteOnTarget:
        """What the post `post` quotes becomes on `target` (see crosspost.sync.quotes)."""
        quoted = quoted_ref(post)
        if quoted is None or quoted_in_full(post, self.config.account(target).platform):
            return NO_QUOTE
        for key in ledger_keys(quoted, post.ref):
            found = self._quote_in_ledger(key, target)
            if found is not None:
                return found
        ref, fetch = native_ref(quoted, self.config.account(target).platform)
        if ref is not None and fetch:
            ref = self._fetch_ref(ref, target)
        return QuoteOnTarget(ref=ref) if ref is not None else link_for(quoted)

    def _quote_in_ledger(self, key: str, target: str, depth: int = 0) -> QuoteOnTarget | None:
        """The quoted post's mirror on `target`, or the original on `target` a mirror stands
        for; while its mirror is still to be published, a placeholder saying so."""
        entries = self.state.entries(key, target)
        if entries:
            if all(e.status is MirrorStatus.PUBLISHED and e.target_ref for e in entries):
                return QuoteOnTarget(ref=entries[0].target_ref)
            waiting = f"waiting for the post it quotes ({key}) on {target}"
            placeholder = PostRef(self.config.account(target).platform, target, waiting)
            return QuoteOnTarget(ref=placeholder, waiting=waiting)
        original_key = self.state.source_of_mirror(key)
        original = self.source(original_key) if original_key else None
        if original is None or depth > 2:
            return None
        if self.posted_on(original, target):
            return QuoteOnTarget(ref=original.ref)
        return self._quote_in_ledger(original.ref.key, target, depth + 1)

    def _fetch_ref(self, ref: PostRef, target: str) -> PostRef | None:
        """The quoted post as the target reads it (its canonical ref, with its CID); None when
        the target cannot read it, and the quote becomes a link."""
        cache = (ref.id, target)
        if cache not in self._fetched:
            try:
                found = self.client(target).fetch_post(ref)
            except RateLimitedError:
                raise
            except CrosspostError:
                found = None
            self._fetched[cache] = found.ref if found is not None else None
        return self._fetched[cache]

    def posted_on(self, post: Post, target: str) -> bool:
        """Whether a source post was read from the `target` account: a rule or migration
        reading `target` selected it."""
        for name in self.state.source_rules(post.ref.key):
            rule = next((r for r in self.config.rules if r.name == name), None)
            if rule is not None and rule.source == target:
                return True
            if name.startswith(f"{MIGRATION_PREFIX}{target}->"):
                return True
        return False
