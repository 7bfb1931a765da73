"""SyncEngine: rules -> read what is new -> select -> plan -> idempotent publish -> ledger.

The publish loop, per source post and target, chunk by chunk in thread order:

1. the intent is in the ledger (pending, no attempt) before anything is sent;
2. the entry is claimed by this worker for a lease (`Ledger.claim`): while another worker's claim
   lasts, the target waits for it; the claim of a worker that was killed is taken over;
3. an entry that was attempted before (a crash, a timeout, a 5xx, a killed worker) is first
   looked for on the target (`find_published`) and recorded if found, never sent blindly again;
   a target the ledger has no record of for the rule (a first run, a lost or emptied ledger) is
   read for the markers its mirrors carry before anything is queued for it
   (`recover.reconcile_target`);
4. the attempt is recorded, the chunk is published (replying to the previous chunk, the first
   chunk being the thread root), and its ref recorded at once;
5. a failure is recorded with its reason and a retry time (exponential backoff); the post's later
   chunks wait for it, other posts go on. A rate limit or a daily cap stops that target and says
   when to resume: the ledger holds the target until then (`Ledger.hold`), so no later post goes
   before the one the cap stopped, in this run or the next. A ledger that cannot be written (a
   full disk) ends the run at once, with one line: what step 3 needs is already in it.

A reply is mirrored when its parent is: a post the rule selected, or a mirror crosspost made of a
post on the target itself (two-way rules: the reply goes back as a reply to the original).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime

from crosspost.config import Config, Digest, SyncRule
from crosspost.errors import CrosspostError, RateLimitedError
from crosspost.model import Limits, Post, PostRef
from crosspost.platforms.base import Draft, PlatformClient
from crosspost.progress import NoProgress, Progress
from crosspost.state import Ledger, LedgerEntry, LedgerError, MirrorStatus
from crosspost.sync.caps import DEFAULT_CAPS, Caps, cap_reached
from crosspost.sync.context import (
    DEFAULT_BACKOFF,
    DEFAULT_PUBLISHING,
    Backoff,
    ClientFactory,
    Publishing,
    StopSignal,
    SyncContext,
)
from crosspost.sync.digest import plan_digests
from crosspost.sync.plan import TargetPlan, describe, link_draft, placeholder_ref
from crosspost.sync.propagate import propagate
from crosspost.sync.recover import adopt_existing, reconcile_target
from crosspost.sync.report import RuleReport, SyncReport
from crosspost.sync.select import skip_reason, visible_on

__all__ = ["Backoff", "ClientFactory", "Publishing", "StopSignal", "SyncEngine"]


class SyncEngine:
    def __init__(
        self,
        config: Config,
        state: Ledger,
        clients: ClientFactory,
        *,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.time,
        dry_run: bool = False,
        backoff: Backoff = DEFAULT_BACKOFF,
        stop: StopSignal | None = None,
        caps: Caps = DEFAULT_CAPS,
    ) -> None:
        # A dry run works on a throwaway copy: it writes nothing, the ledger included.
        self.context = SyncContext(
            config=config,
            state=state.copy() if dry_run else state,
            factory=clients,
            progress=progress or NoProgress(),
            clock=clock,
            dry_run=dry_run,
            backoff=backoff,
            stop=stop or StopSignal(),
            caps=caps,
        )
        self._blocked: dict[str, float] = {}  # target -> when it takes posts again
        self._dry_published: list[tuple[tuple[str, str, int], PostRef, str, int, int]] = []

    # --- what the run shares (the context) -----------------------------------------------------

    @property
    def config(self) -> Config:
        return self.context.config

    @property
    def state(self) -> Ledger:
        return self.context.state

    @property
    def progress(self) -> Progress:
        return self.context.progress

    @property
    def clock(self) -> Callable[[], float]:
        return self.context.clock

    @property
    def dry_run(self) -> bool:
        return self.context.dry_run

    @property
    def backoff(self) -> Backoff:
        return self.context.backoff

    @property
    def stop(self) -> StopSignal:
        return self.context.stop

    def client(self, name: str, *, writing: bool = False) -> PlatformClient:
        return self.context.client(name, writing=writing)

    def limits(self, target: str) -> Limits:
        return self.context.limits(target)

    # --- runs ----------------------------------------------------------------------------------

    def run(self, rule_name: str | None = None, *, adopt: bool = False) -> SyncReport:
        rules = [self.config.rule(rule_name)] if rule_name else list(self.config.rules)
        report = SyncReport()
        for rule in rules:
            if self.stop.requested:
                report.stopped_early = True
                break
            report.rules.append(self.run_rule(rule, adopt=adopt))
        report.stopped_early = report.stopped_early or self.stop.requested
        return report

    def run_rule(
        self,
        rule: SyncRule,
        *,
        adopt: bool = False,
        cursor: str | None = None,
        only: str | None = None,
    ) -> RuleReport:
        """Read, queue and publish one rule; `cursor` names the read cursor (the rule's own by
        default; it starts from the rule's where it has none yet); `only` publishes to that one
        target of the rule, nothing else the ledger holds for the rule."""
        report = RuleReport(rule.name, dry=self.dry_run)
        posts, newest = self.read_new(rule, report, cursor)
        held_from = self.queue(rule, posts, report, adopt=adopt)
        if newest is not None and held_from is not None:
            newest = min(newest, held_from)  # a digest's day not over: read it again next run
        if newest is not None and not self.stop.requested:
            self.state.set_cursor(cursor or rule.name, newest.isoformat())
        self.process(rule, report, only=only)
        if (rule.edits or rule.deletes) and not self.stop.requested:
            propagate(self.context, rule, report, only=only)
        return report

    def run_target(self, rule: SyncRule, target: str, *, adopt: bool = False) -> RuleReport:
        """One target of a rule, as a queued job runs it (crosspost.worker): the same protocol
        as `run_rule` (intent before publish, reconcile after a crash), restricted to `target`,
        with a read cursor of its own so the rule's targets advance apart. The rule's cursor
        follows the least advanced of its targets', so a whole-rule run never skips a post.
        It publishes to `target` only: the job of another target of the rule may be running
        in another worker, and two publishers of one entry would post it twice."""
        if target not in rule.targets:
            raise CrosspostError(f"rule {rule.name} has no target {target}")
        report = self.run_rule(
            replace(rule, targets=(target,)),
            adopt=adopt,
            cursor=target_cursor(rule.name, target),
            only=target,
        )
        read = [self.state.cursor(target_cursor(rule.name, t)) for t in rule.targets]
        if not self.stop.requested and all(read):
            least = min(datetime.fromisoformat(text) for text in read if text)
            self.state.set_cursor(rule.name, least.isoformat())
        return report

    def read_new(
        self, rule: SyncRule, report: RuleReport, named: str | None = None
    ) -> tuple[list[Post], datetime | None]:
        """The source's posts newer than the rule's cursor (or the one `named`, else the
        rule's; or its `since`), oldest first."""
        cursor_text = (named and self.state.cursor(named)) or self.state.cursor(rule.name)
        cursor = datetime.fromisoformat(cursor_text) if cursor_text else None
        floor = max(d for d in (cursor, rule.since, None) if d) if (cursor or rule.since) else None
        client = self.client(rule.source)
        posts: list[Post] = []
        page_cursor: str | None = None
        self.progress.start(f"read {rule.source}")
        while True:
            page = client.fetch_page(page_cursor)
            report.read_calls += 1
            posts += [p for p in page.posts if floor is None or p.created_at >= floor]
            self.progress.advance(f"read {rule.source}", len(page.posts))
            older = floor is not None and any(p.created_at < floor for p in page.posts)
            if page.cursor is None or older or not page.posts:
                break
            page_cursor = page.cursor
        self.progress.finish(f"read {rule.source}")
        report.seen += len(posts)
        posts.sort(key=lambda p: (p.created_at, p.ref.id))
        newest = max((p.created_at for p in posts), default=None)
        return posts, newest

    def queue(
        self,
        rule: SyncRule,
        posts: Iterable[Post],
        report: RuleReport,
        *,
        adopt: bool = False,
        publishing: Publishing = DEFAULT_PUBLISHING,
    ) -> datetime | None:
        """Select, and write the intent of every chunk of every selected post on each target
        (or of each finished day's digest, on a digest target). Returns the time of the oldest
        post the next run must read again (held back for a digest whose day is not over, or
        selected for a target that could not be checked for mirrors), None when none is."""
        selected: list[Post] = []
        keys: set[str] = set()
        for post in posts:
            reason = skip_reason(post, rule, self.state)
            if reason is None and post.reply_to is not None and not self._parent_known(post, keys):
                reason = "a reply to a post not mirrored"
            if reason is not None:
                report.skip(reason)
                continue
            selected.append(post)
            keys.add(post.ref.key)
        report.selected += len(selected)
        if adopt and selected:
            adopt_existing(self.context, rule, selected, report)
        digesting = [t for t in rule.targets if rule.options_for(t).digest is not Digest.NONE]
        per_post = [t for t in rule.targets if t not in digesting]
        targets = [t for t in per_post if self._checked(rule, t, selected, report)]
        for post in selected:
            self.state.save_source(post, rule.name, replace=False)
            for target in targets:
                self._queue_target(rule, post, target, report, publishing)
        held = [self._queue_digests(rule, t, selected, report, publishing) for t in digesting]
        if selected and len(targets) < len(per_post):
            # A target that could not be checked for mirrors got nothing: read these again.
            held.append(min(post.created_at for post in selected))
        return min((when for when in held if when is not None), default=None)

    def _queue_digests(
        self,
        rule: SyncRule,
        target: str,
        selected: list[Post],
        report: RuleReport,
        publishing: Publishing,
    ) -> datetime | None:
        """Queue each finished day's digest for `target` (crosspost.sync.digest)."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        zone = rule.options_for(target).digest_timezone
        plan = plan_digests(selected, rule.name, target, zone, now, self.state)
        digests = list(plan.digests)
        if digests and self._checked(rule, target, digests, report):
            for digest in digests:
                self.state.save_source(digest, rule.name, replace=False)
                self._queue_target(rule, digest, target, report, publishing)
        return plan.held_from

    def _checked(
        self, rule: SyncRule, target: str, selected: list[Post], report: RuleReport
    ) -> bool:
        """Whether posts may be queued for `target`: the ledger knows the rule there, or the
        target was just read for the markers of mirrors it already has (a first run, or a
        ledger lost or emptied). When that read fails, nothing is queued there this run."""
        if not selected or self.state.knows(rule.name, target):
            return True
        try:
            reconcile_target(self.context, rule, target, selected, report)
        except LedgerError:
            raise
        except CrosspostError as error:
            why = f"not checked for mirrors first ({error}); nothing was posted there"
            if isinstance(error, RateLimitedError):  # exit 6: run again later
                report.stopped.append(f"{target}: {why}")
            else:
                report.failed.append((f"{len(selected)} posts", target, why))
            return False
        return True

    def _parent_known(self, post: Post, selected: set[str]) -> bool:
        assert post.reply_to is not None
        key = post.reply_to.key
        return (
            key in selected
            or self.state.load_source(key) is not None
            or self.state.source_of_mirror(key) is not None
        )

    def _queue_target(
        self, rule: SyncRule, post: Post, target: str, report: RuleReport, publishing: Publishing
    ) -> None:
        if self.state.has_source(post.ref.key, target):
            return
        platform = self.config.account(target).platform
        if not visible_on(post, platform):
            report.skip(
                f"{post.visibility.value} cannot stay {post.visibility.value} on {platform.value}"
            )
            return
        try:
            planned = self.context.plan(rule, post, target, publishing)
        except CrosspostError as error:
            self.state.record_intent(post.ref.key, target, 0, 1, rule.name)
            retry = self.clock() + self.backoff.base
            self.state.record_failed(post.ref.key, target, 0, str(error), retry)
            report.failed.append((post.ref.key, target, str(error)))
            return
        self.state.record_intents(post.ref.key, target, len(planned.drafts), rule.name)

    # --- publishing ----------------------------------------------------------------------------

    def process(
        self,
        rule: SyncRule,
        report: RuleReport,
        publishing: Publishing = DEFAULT_PUBLISHING,
        *,
        only: str | None = None,
    ) -> None:
        """Publish every unfinished (due) entry of the rule, oldest intent first (on the target
        `only`, when given)."""
        now = self.clock()
        self._blocked = {target: when for target, when in self._blocked.items() if when > now}
        held = self.state.holds(now)
        for target, (until, _) in held.items():
            self._blocked[target] = max(until, self._blocked.get(target, 0.0))
        work = [
            (key, target)
            for key, target in self.state.due(rule.name, now)
            if only is None or target == only
        ]
        waited: set[str] = set()  # targets with work left that a cap or a rate limit holds
        blocked_before = dict(self._blocked)
        self.progress.start(f"sync {rule.name}", len(work))
        for source_key, target in work:
            if self.stop.requested:
                break
            if target in self._blocked:
                if target in held and target not in waited and not report_has(report, target):
                    when = _time(self._blocked[target])
                    report.stopped.append(f"{target}: {held[target][1]}; waiting until {when}")
                waited.add(target)
                continue
            self.publish_pair(rule, source_key, target, report, publishing)
            self.progress.advance(f"sync {rule.name}")
        self.progress.finish(f"sync {rule.name}")
        self.state.record_many_published(self._dry_published)
        self._dry_published.clear()
        waited |= {t for t, when in self._blocked.items() if blocked_before.get(t) != when}
        stopped = {t: when for t, when in self._blocked.items() if t in waited}
        if stopped:
            report.resume_at = min(stopped.values())
        if not self.dry_run:
            report.left = self.state.left(rule.name)

    def publish_pair(
        self,
        rule: SyncRule,
        source_key: str,
        target: str,
        report: RuleReport,
        publishing: Publishing,
    ) -> None:
        """Publish the unfinished chunks of one source post on one target, in order."""
        post = self.context.source(source_key)
        entries = self.state.entries(source_key, target)
        if post is None or not entries:
            return
        try:
            planned = self.context.plan(rule, post, target, publishing, entries[0].first_intent)
        except CrosspostError as error:
            self._fail(entries[0], error, report)
            return
        if self.dry_run:
            self._dry_run(post, planned, entries, target, report)
            return
        parent = self._thread_parent(post, target)
        if isinstance(parent, str):
            self._fail(entries[0], CrosspostError(parent), report, retry_in=self.backoff.base)
            return
        previous, root = parent
        waiting = self.context.quote(post, target).waiting
        if waiting is not None and entries[0].status is not MirrorStatus.PUBLISHED:
            self._fail(entries[0], CrosspostError(waiting), report, retry_in=self.backoff.base)
            return
        client = self.client(target, writing=True)
        for entry in entries:
            if entry.status is MirrorStatus.PUBLISHED:
                assert entry.target_ref is not None
                root, previous = _advance(root, previous, entry.target_ref)
                continue
            if entry.chunk >= len(planned.drafts):
                self._fail(entry, CrosspostError("the post now plans fewer chunks"), report)
                return
            draft = link_draft(planned.drafts[entry.chunk], previous, root)
            ref = self._publish_chunk(client, entry, draft, report)
            if ref is None:
                return
            root, previous = _advance(root, previous, ref)

    def _publish_chunk(
        self, client: PlatformClient, entry: LedgerEntry, draft: Draft, report: RuleReport
    ) -> PostRef | None:
        if entry.status is MirrorStatus.FAILED and (entry.next_retry or 0) > self.clock():
            return None
        key = entry.identity
        claim = self.state.claim(*key)
        if claim.entry is None:  # another worker is publishing it: the target waits for it
            until = claim.until or self.clock()
            self._blocked[entry.target] = until
            report.stopped.append(
                f"{entry.target}: {entry.source_key} is being published by another worker; "
                f"waiting until {_time(until)}"
            )
            return None
        entry = claim.entry  # as it is now: another worker may have attempted it meanwhile
        if entry.status is MirrorStatus.PUBLISHED:
            return entry.target_ref
        try:
            if entry.attempts > 0:
                found = client.find_published(draft)
                if found is not None:
                    self.state.record_published(
                        *key, found, rule=entry.rule, chunks=entry.chunks, media=len(draft.media)
                    )
                    report.reconciled += 1
                    return found
            if self._capped(entry.target, draft, report):
                self.state.release(*key)
                return None
            self.state.record_attempt(*key)
            ref = client.publish(draft)
        except RateLimitedError as error:
            wait = error.retry_after if error.retry_after is not None else self.backoff.base
            resume = self.clock() + wait
            self._blocked[entry.target] = resume
            self.state.hold(entry.target, resume, f"{entry.target}: {error}")
            self.state.record_held(*key, str(error))
            report.stopped.append(f"{entry.target}: {error}")
            return None
        except LedgerError:  # the state cannot be written: stop here, the intent is kept
            raise
        except Exception as error:  # one bad post never blocks the rest: record, go on
            self._fail(entry, error, report, attempts=entry.attempts + 1)
            return None
        self.state.record_published(
            *key, ref, rule=entry.rule, chunks=entry.chunks, media=len(draft.media)
        )
        report.published += 1
        return ref

    def _capped(self, target: str, draft: Draft, report: RuleReport) -> bool:
        """Stop the target, saying when to resume, when one more post would break a cap."""
        caps = self.context.caps.get(self.config.account(target).platform, ())
        reached = cap_reached(self.state, target, caps, len(draft.media), self.clock())
        if reached is None:
            return False
        cap, resume = reached
        self._blocked[target] = resume
        self.state.hold(target, resume, f"{target}: {cap.limit} {cap.what} reached")
        report.stopped.append(
            f"{target}: {cap.limit} {cap.what} reached (counted from the ledger); "
            f"it takes posts again after {_time(resume)}"
        )
        return True

    def _fail(
        self,
        entry: LedgerEntry,
        error: BaseException,
        report: RuleReport,
        *,
        attempts: int | None = None,
        retry_in: float | None = None,
    ) -> None:
        why = (
            str(error) if isinstance(error, CrosspostError) else f"{type(error).__name__}: {error}"
        )
        delay = (
            retry_in
            if retry_in is not None
            else self.backoff.delay(attempts or entry.attempts or 1)
        )
        self.state.record_failed(*entry.identity, why, self.clock() + delay)
        report.failed.append((entry.source_key, entry.target, why))

    def _thread_parent(
        self, post: Post, target: str
    ) -> tuple[PostRef | None, PostRef | None] | str:
        """(reply_to, thread_root) for the first chunk: the mirrors of the source's parent and
        root on this target, or the originals where those are mirrors of posts on the target;
        a message when the parent is not there (yet)."""
        if post.reply_to is None:
            return None, None
        parent = self._on_target(post.reply_to.key, target, last=True)
        if parent is None:
            return f"waiting for the post it replies to ({post.reply_to.key}) on {target}"
        root_key = (post.thread_root or post.reply_to).key
        root = self._on_target(root_key, target, last=False, root=True)
        return parent, root or self._on_target(post.reply_to.key, target, last=False)

    def _on_target(
        self, key: str, target: str, *, last: bool, root: bool = False
    ) -> PostRef | None:
        """What stands for the post `key` on `target`: its published mirror there (the last
        chunk to reply to, the first as a thread root), or, when `key` is itself a mirror of a
        post on `target`, that original post (as a root: the original's own thread root)."""
        entries = self.state.entries(key, target)
        if entries and all(e.status is MirrorStatus.PUBLISHED for e in entries):
            return (entries[-1] if last else entries[0]).target_ref
        if entries:
            return None
        original_key = self.state.source_of_mirror(key)
        original = self.context.source(original_key) if original_key else None
        if original is None:
            return None
        if self.context.posted_on(original, target):
            return (original.thread_root or original.ref) if root else original.ref
        return self._on_target(original.ref.key, target, last=last, root=root)

    def _dry_run(
        self,
        post: Post,
        planned: TargetPlan,
        entries: list[LedgerEntry],
        target: str,
        report: RuleReport,
    ) -> None:
        platform = self.config.account(target).platform
        try:
            server = self.context.server_limits(target)
            block = describe(post, planned, platform, server, datetime.now(UTC))
        except CrosspostError as error:  # one post the target would refuse: say so, go on
            report.failed.append((post.ref.key, target, f"would fail: {error}"))
            return
        report.dry_run.append(block)
        for entry in entries:
            if entry.status is not MirrorStatus.PUBLISHED:
                draft = planned.drafts[min(entry.chunk, len(planned.drafts) - 1)]
                ref = placeholder_ref(platform, target, draft)
                # Written when the pass ends, in one go: until then only this pair's entries
                # are read, and a dry run's ledger is a throwaway copy anyway.
                self._dry_published.append(
                    (entry.identity, ref, entry.rule, entry.chunks, len(draft.media))
                )
                report.published += 1


def target_cursor(rule: str, target: str) -> str:
    """The name of one target's read cursor of a rule (its jobs read apart)."""
    return f"{rule} -> {target}"


def report_has(report: RuleReport, target: str) -> bool:
    """Whether the report already says why `target` stopped."""
    return any(line.startswith(f"{target}: ") for line in report.stopped)


def _time(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="minutes")


def _advance(
    root: PostRef | None, previous: PostRef | None, ref: PostRef
) -> tuple[PostRef | None, PostRef]:
    """The thread after one more chunk: the first chunk of a new thread becomes its root."""
    if previous is None and root is None:
        return ref, ref
    return root, ref
