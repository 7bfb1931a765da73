"""migrate --plan: its figures against a simulated migration under injected caps (fake clock).

Each test plans a migration, then runs it with `migrate --watch` (`migrate_until_done`) on the
fake network, sleeping on the fake clock while the caps hold the target, and compares: the
posts and media the plan counted with what the target got, and the plan's time with when the
last post went out (within 10%).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crosspost.backup.store import BackupStore
from crosspost.errors import ConfigError
from crosspost.model import Media, MediaKind, Platform, Unsupported, Visibility
from crosspost.platforms.spec import DAY, HOUR, Cap
from crosspost.sync import MigrateOptions, RuleReport, SyncEngine, migrate
from crosspost.sync.caps import DEFAULT_CAPS, Caps, Pacer
from crosspost.sync.eta import about
from crosspost.sync.migrate import migrate_until_done
from crosspost.sync.plan_migration import MigrationPlan, plan_migration
from tests.fake_platform import ACCOUNTS, World, make_config

# The platforms' caps, scaled down so a test sends tens of posts, not thousands; same shapes.
SMALL_CAPS: Caps = {
    Platform.BLUESKY: (
        Cap("write points an hour", HOUR, 60, per_post=3),
        Cap("write points a day", DAY, 240, per_post=3),
    ),
    Platform.MASTODON: (
        Cap("statuses per 3 hours", 3 * HOUR, 12, per_post=1),
        Cap("media uploads per 30 minutes", 1800.0, 6, per_media=1),
    ),
    Platform.TUMBLR: (
        Cap("posts a day", DAY, 10, per_post=1),
        Cap("images a day", DAY, 12, per_media=1),
    ),
}
LONG = " ".join(f"word{n}" for n in range(120))  # about 840 characters: a thread on a short target


def engine(world: World, caps: Caps, *, dry_run: bool = False) -> SyncEngine:
    return SyncEngine(
        make_config(),
        world.store,
        world.client,
        clock=world.network.clock,
        caps=caps,
        dry_run=dry_run,
    )


def with_media(world: World, name: str, text: str, images: int, minutes: int) -> None:
    post = world.add(name, text, minutes=minutes)
    media = tuple(
        Media(MediaKind.IMAGE, url=f"https://media.fake.example/{post.ref.id}/{n}.png", alt="a")
        for n in range(images)
    )
    world.network.posts[ACCOUNTS[name].name][post.ref.id] = post.with_changes(media=media)


def source_posts(world: World, name: str, count: int) -> None:
    """Short posts, long ones (threads where the target is short), and posts with 5 images."""
    for n in range(count):
        if n % 4 == 1:
            with_media(world, name, f"pictures {n}", 5, minutes=n)
        elif n % 4 == 2:
            world.add(name, f"{n} {LONG}", minutes=n)
        else:
            world.add(name, f"post {n}", minutes=n)


def simulate(world: World, source: str, target: str, caps: Caps) -> tuple[float, list[RuleReport]]:
    """Run the migration to the end on the fake clock; when its last post went out."""
    start = world.network.clock()
    passes: list[RuleReport] = []
    last = migrate_until_done(
        engine(world, caps), source, target, sleep=world.network.clock.sleep, each=passes.append
    )
    assert last.resume_at is None
    assert not last.failed
    published = world.store.published_since(target, 0.0)
    return max(when for when, _ in published) - start, passes


def check(plan: MigrationPlan, world: World, target: str, finished: float) -> None:
    copies = world.network.of(target)
    assert plan.chunks == len(copies)
    assert plan.media == sum(len(p.media) for p in copies)
    assert finished > HOUR  # the caps held it: the comparison is about their waits
    assert abs(plan.seconds - finished) <= 0.10 * finished, (plan.seconds, finished)


@pytest.mark.parametrize(
    ("source", "target"), [("masto", "sky"), ("sky", "masto"), ("masto", "art")]
)
def test_the_plan_says_what_the_migration_sends_and_when_it_ends(source: str, target: str) -> None:
    world = World()
    source_posts(world, source, 40)
    plan = plan_migration(engine(world, SMALL_CAPS), source, target)
    assert world.store.dump() == []  # the plan writes nothing
    assert world.network.of(target) == []
    assert plan.read == plan.posts == 40
    assert plan.chunks > 40 or target == "art"  # threads and media split into more posts
    finished, _passes = simulate(world, source, target, SMALL_CAPS)
    check(plan, world, target, finished)
    print(f"{target}: plan {plan.seconds / HOUR:.2f} h, simulated {finished / HOUR:.2f} h")


def test_a_running_migration_gives_the_plans_figure_after_each_pass() -> None:
    world = World()
    source_posts(world, "masto", 30)
    plan = plan_migration(engine(world, SMALL_CAPS), "masto", "sky")
    first = migrate(engine(world, SMALL_CAPS), "masto", "sky")
    note = first.notes[-1]
    sent = first.published
    assert note.startswith(f"sky: {sent} of {plan.chunks} sent; {about(plan.seconds)} left")
    again = plan_migration(engine(world, SMALL_CAPS), "masto", "sky")  # mid-way: the rest
    assert again.sent == sent
    assert again.chunks == plan.chunks - sent
    assert abs(again.finish - plan.finish) <= 1.0  # the same end, seen from later


def test_real_caps_tumblr_takes_a_day_for_each_250_posts() -> None:
    world = World()
    for n in range(600):
        world.add("masto", f"toot {n}", minutes=n)
    plan = plan_migration(engine(world, DEFAULT_CAPS), "masto", "art")
    assert plan.chunks == 600
    assert about(plan.seconds) == "about 2 days"  # 250 now, 250 a day later, 100 after that
    finished, _ = simulate(world, "masto", "art", DEFAULT_CAPS)
    check(plan, world, "art", finished)


def test_real_caps_mastodon_300_statuses_per_3_hours_and_30_media_per_half_hour() -> None:
    world = World()
    for n in range(20):
        with_media(world, "sky", f"photo {n}", 3, minutes=n)  # 60 media: 30 now, 30 later
    plan = plan_migration(engine(world, DEFAULT_CAPS), "sky", "masto")
    assert (plan.chunks, plan.media) == (20, 60)
    assert plan.seconds == pytest.approx(1800.0, abs=60)
    lines = "\n".join(plan.lines())
    assert "300 statuses per 3 hours, 30 media uploads per 30 minutes" in lines


def test_the_pacer_is_the_engines_rule() -> None:
    caps = DEFAULT_CAPS[Platform.BLUESKY]
    pacer = Pacer(caps, 0.0)
    times = [pacer.send(0) for _ in range(1667 * 2)]
    assert times[1665] == 0.0
    assert times[1666] == HOUR
    assert times[-1] == 2 * HOUR


def test_what_is_not_carried_is_counted_by_reason() -> None:
    world = World()
    world.add("masto", "fine")
    world.add("masto", "followers only", visibility=Visibility.FOLLOWERS)
    poll = world.add("masto", "which?", minutes=2)
    world.network.posts["masto"][poll.ref.id] = poll.with_changes(
        unsupported=(Unsupported("poll", "no target takes a poll", "which? a / b"),)
    )
    plan = plan_migration(engine(world, SMALL_CAPS), "masto", "sky")
    assert plan.not_carried == {"visibility followers": 1}
    assert plan.left_out == {"poll (no target takes a poll)": 1}
    text = "\n".join(plan.lines())
    assert "not carried: 1 visibility followers" in text
    assert "Archived from <date>" in text
    assert "Bluesky has no private posts" in text


def test_private_posts_on_tumblr_and_mastodon_and_a_clear_refusal_on_bluesky() -> None:
    world = World()
    world.add("sky", "skeet")
    world.add("masto", "toot")
    options = MigrateOptions(private=True)
    tumblr = migrate(engine(world, SMALL_CAPS, dry_run=True), "masto", "art", options)
    assert '"state": "private"' in tumblr.dry_run[0]
    mastodon = migrate(engine(world, SMALL_CAPS, dry_run=True), "sky", "masto", options)
    assert '"visibility": "direct"' in mastodon.dry_run[0]
    with pytest.raises(ConfigError, match="Bluesky has no private posts"):
        migrate(engine(world, SMALL_CAPS), "masto", "sky", options)
    plan = plan_migration(engine(world, SMALL_CAPS), "masto", "art", options)
    assert any(
        line.startswith("  to keep it quiet: --private is on: they go as private posts")
        for line in plan.lines()
    )
    public = plan_migration(engine(world, SMALL_CAPS), "masto", "art")
    assert any("dashboards" in line for line in public.lines())
    assert any("--private sends them as private posts" in line for line in public.lines())


def test_the_plan_of_a_backup(tmp_path: Path) -> None:
    """The plan of a backup crosspost wrote (the README shows this output)."""
    world = World()
    source_posts(world, "sky", 12)
    folder = BackupStore(tmp_path).account(Platform.BLUESKY, ACCOUNTS["sky"].identity)
    for post in world.network.of("sky"):
        folder.save_post(post)
    world.network.posts.clear()  # only the backup has them now
    plan = plan_migration(
        engine(world, DEFAULT_CAPS), "sky", "masto", MigrateOptions(from_backup=tmp_path)
    )
    assert plan.read == 12
    print("\n".join(plan.lines()))  # pytest -s shows it
    assert any("Mastodon cannot backdate" in line for line in plan.lines())
