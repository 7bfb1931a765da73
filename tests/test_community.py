"""A community: many users' configs, ledgers and encrypted credentials run by one set of workers
(crosspost/community.py, crosspost/secrets_store.py). The community file and its errors; each
user's secrets opened by their own derived key and no other; one user's broken config skipped
while the others' jobs are queued; and a real `crosspost worker --community` process running two
users' rules against the loopback Tumblr server and mastodon-mock: each user's posts land once on
their own targets and never on the other's, though both name their accounts and rules alike."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken

from crosspost.accounts import Account
from crosspost.community import Community, load_community
from crosspost.errors import ConfigError
from crosspost.model import Platform
from crosspost.platforms.mastodon.client import MastodonClient
from crosspost.secrets_store import SecretsKeyError, UserSecrets, new_master_key, user_key
from crosspost.worker.locks import Job
from crosspost.worker.queue import Queue
from tests.backup_world import cli_env
from tests.cli_helpers import run_cli
from tests.fixtures import PROJECT_ROOT
from tests.mastodon_server import BASE_URL, MockMastodon, mastodon_server
from tests.tumblr_server import CONSUMER, USER, TumblrServer, running

__all__ = ["mastodon_server"]

TUMBLR_SECRET = ":".join((*CONSUMER, *USER))

# Two users who name their accounts and rules alike: only their user keeps them apart.
USER_CONFIG = """
[accounts.src]
platform = "tumblr"
blog = "{source}"
service = "{tumblr}"

[accounts.dst]
platform = "tumblr"
blog = "{target}"
service = "{tumblr}"

[accounts.masto]
platform = "mastodon"
handle = "{handle}@localhost.test"
service = "{mastodon}"

[[sync]]
name = "mirror"
from = "src"
to = ["dst", "masto"]
include_tags = ["crosspost"]
"""
PEOPLE = {  # user -> (source blog, target blog, mastodon-mock account)
    "alice": ("art", "echo", "alice"),
    "bob": ("bart", "becho", "bob"),
}


def make_community(root: Path, users: dict[str, str] | None = None) -> Path:
    """`crosspost community init`, then a config file per user; the community file's path."""
    done = run_cli("community", "init", str(root))
    assert done.code == 0, done.err
    for user, text in (users or {}).items():
        (root / "users" / f"{user}.toml").write_text(text, encoding="utf-8")
    return root / "community.toml"


def user_config(user: str, tumblr: str = "http://127.0.0.1:9", mastodon: str = BASE_URL) -> str:
    source, target, handle = PEOPLE.get(user, (f"{user}-src", f"{user}-dst", user))
    return USER_CONFIG.format(
        source=source, target=target, handle=handle, tumblr=tumblr, mastodon=mastodon
    )


# --- the community file ---------------------------------------------------------------------------


def test_the_starter_community_is_private_and_complete(tmp_path: Path) -> None:
    path = make_community(tmp_path / "c", {"alice": user_config("alice")})
    community = load_community(path)
    assert community.users() == ["alice"]
    assert community.users_dir == tmp_path / "c" / "users"
    assert community.state_path("alice") == tmp_path / "c/state/users/alice/state.sqlite3"
    assert community.secrets_path("alice") == tmp_path / "c/secrets/alice.json"
    assert community.queue_url is None
    assert community.ledger_url is None
    for private in ("secrets.key", "secrets", "state"):
        assert (tmp_path / "c" / private).stat().st_mode & 0o077 == 0, private
    key = (tmp_path / "c" / "secrets.key").read_text()
    again = run_cli("community", "init", str(tmp_path / "c"))
    assert "kept the master key" in again.out
    assert "kept " in again.out
    assert (tmp_path / "c" / "secrets.key").read_text() == key  # never replaced
    settings = community.settings()
    assert settings.state_for("alice") == community.state_path("alice")
    assert settings.config_for("alice") == community.config_path("alice")
    assert settings.users() == ["alice"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('users = "users"\nworkers = 4\n', "workers: unknown key"),
        ("users = 4\n", "users: must be a non-empty string"),
        ('users = "nowhere"\n', "the users folder"),
        ('queue = "http://127.0.0.1:6379"\n', "queue: 'http://127.0.0.1:6379' is not a URL"),
        ('ledger = "mysql://db"\n', "ledger: 'mysql://db' is not a URL"),
        ('users = "users\n', "not valid TOML"),
    ],
)
def test_community_file_errors_name_the_file_and_key(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "users").mkdir()
    path = tmp_path / "community.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_community(path)
    assert str(caught.value).startswith(str(path))
    assert says in str(caught.value)


def test_a_missing_community_file_says_how_to_make_one(tmp_path: Path) -> None:
    done = run_cli("community", "users", "--community", str(tmp_path / "none.toml"))
    assert done.code == 3
    assert "community init DIR" in done.err


def test_a_broken_user_is_named_with_the_line_and_the_others_go_on(tmp_path: Path) -> None:
    path = make_community(
        tmp_path,
        {
            "alice": user_config("alice"),
            "bob": user_config("bob"),
            "carol": user_config("carol"),
            "dave": "[accounts.x]\nplatform = 'tumblr'\nblog = \n",
        },
    )
    (tmp_path / "users" / "Eve Smith.toml").write_text(user_config("eve"))
    (tmp_path / "users" / "notes.txt").write_text("not a user")
    community = load_community(path)
    assert community.users() == ["alice", "bob", "carol", "dave"]
    assert [p.name for p in community.misnamed()] == ["Eve Smith.toml"]
    found = dict(community.configs())
    assert isinstance(found["dave"], ConfigError)
    assert str(found["dave"]).startswith(str(tmp_path / "users" / "dave.toml"))
    assert "line 3" in str(found["dave"])
    assert [name for name, c in found.items() if not isinstance(c, ConfigError)] == [
        "alice",
        "bob",
        "carol",
    ]
    listed = run_cli("community", "users", "--community", str(path))
    assert listed.code == 3
    assert "alice: 3 accounts, 1 rule, credentials for 0 of 3" in listed.out
    assert "dave: not run: " in listed.out
    assert "line 3" in listed.out
    assert "Eve Smith.toml: not run: 'Eve Smith' is not a user name" in listed.out
    with pytest.raises(ConfigError, match="no user 'zoe' in the community"):
        community.load("zoe")
    with pytest.raises(ConfigError, match="is not a user name"):
        community.load("../alice")


# --- secrets, per user ----------------------------------------------------------------------------


@pytest.fixture
def community(tmp_path: Path) -> Community:
    return load_community(
        make_community(tmp_path, {"alice": user_config("alice"), "bob": user_config("bob")})
    )


def masto(community: Community, user: str) -> Account:
    return community.load(user).account("masto")


def test_a_users_secrets_are_encrypted_under_their_own_key(community: Community) -> None:
    alice = community.secrets("alice")
    alice.save(masto(community, "alice"), {"access_token": "alice-token-value"})
    alice.save_session(masto(community, "alice"), "alice-session-value")
    path = community.secrets_path("alice")
    text = path.read_text()
    assert "alice-token-value" not in text
    assert "alice-session-value" not in text
    assert path.stat().st_mode & 0o777 == 0o600
    again = community.secrets("alice").require(masto(community, "alice"))
    assert again["access_token"] == "alice-token-value"
    assert community.secrets("alice").load_session(masto(community, "alice")) == (
        "alice-session-value"
    )
    assert "alice-token-value" not in repr(again)
    # Bob has none, though his account is named alike.
    assert community.secrets("bob").load(masto(community, "bob")) is None
    # Alice's tokens do not decrypt with Bob's derived key, only with hers.
    master = community.master_key()
    tokens = json.loads(text)["entries"].values()
    for token in tokens:
        with pytest.raises(InvalidToken):
            Fernet(user_key(master, "bob")).decrypt(token)
        Fernet(user_key(master, "alice")).decrypt(token)
    assert user_key(master, "alice") != user_key(master, "bob")


def test_a_file_copied_to_another_user_does_not_open(community: Community) -> None:
    community.secrets("alice").save(masto(community, "alice"), {"access_token": "alice-only"})
    alice_file, bob_file = community.secrets_path("alice"), community.secrets_path("bob")
    shutil.copyfile(alice_file, bob_file)
    with pytest.raises(SecretsKeyError, match="does not decrypt with bob's key"):
        community.secrets("bob").load(masto(community, "bob"))
    # Even relabelled as Bob's, the tokens are Alice's: the cipher itself refuses them.
    document = json.loads(alice_file.read_text())
    document["user"] = "bob"
    bob_file.write_text(json.dumps(document))
    spec = masto(community, "bob").spec
    document["entries"] = {
        f"crosspost\x00{spec}": next(iter(document["entries"].values()))
    }  # put under Bob's own entry name
    bob_file.write_text(json.dumps(document))
    with pytest.raises(SecretsKeyError, match="does not decrypt with bob's key") as caught:
        community.secrets("bob").load(masto(community, "bob"))
    assert "alice-only" not in str(caught.value)
    assert "crosspost login ACCOUNT --user bob" in str(caught.value)


def test_a_wrong_master_key_names_the_user_and_what_to_do(
    community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    community.secrets("alice").save(masto(community, "alice"), {"access_token": "t0ken"})
    monkeypatch.setenv("CROSSPOST_SECRETS_KEY", new_master_key())
    with pytest.raises(SecretsKeyError) as caught:
        community.secrets("alice").load(masto(community, "alice"))
    message = str(caught.value)
    assert "alice's secrets were stored under another master key" in message
    assert "CROSSPOST_SECRETS_KEY" in message
    assert "t0ken" not in message
    monkeypatch.setenv("CROSSPOST_SECRETS_KEY", "not-a-key")
    with pytest.raises(SecretsKeyError, match="is not a crosspost master key"):
        community.master_key()
    monkeypatch.delenv("CROSSPOST_SECRETS_KEY")
    assert community.secrets_key_file is not None
    community.secrets_key_file.chmod(0o644)
    with pytest.raises(SecretsKeyError, match="chmod 600"):
        community.master_key()


def test_an_entry_moved_within_a_file_is_refused(community: Community, tmp_path: Path) -> None:
    store = UserSecrets(tmp_path / "one.json", "alice", community.master_key())
    store.set_password("crosspost", "a", "first")
    store.set_password("crosspost", "b", "second")
    document = json.loads((tmp_path / "one.json").read_text())
    entries = document["entries"]
    entries["crosspost\x00a"], entries["crosspost\x00b"] = (
        entries["crosspost\x00b"],
        entries["crosspost\x00a"],
    )
    (tmp_path / "one.json").write_text(json.dumps(document))
    with pytest.raises(SecretsKeyError, match="moved from another"):
        store.get_password("crosspost", "a")


def test_login_stores_into_the_users_file_and_never_reads_the_environment(
    community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", "a-token-from-the-environment")
    path = str(community.path)
    done = run_cli(
        "login", "masto", "--community", path, "--user", "bob", "--stdin", stdin="bob_token\n"
    )
    assert done.code == 0, done.err
    assert f"in bob's secrets ({community.secrets_path('bob')})" in done.out
    assert community.secrets("bob").require(masto(community, "bob"))["access_token"] == (
        "bob_token"
    )
    # Alice's account of the same name: the variable does not stand in for her login.
    listed = run_cli("accounts", "--community", path, "--user", "alice")
    assert "credentials: missing (run `crosspost login masto --community " in listed.out
    assert "--user alice`)" in listed.out
    out = run_cli("logout", "masto", "--community", path, "--user", "bob")
    assert "removed the stored credentials of masto" in out.out
    assert community.secrets("bob").load(masto(community, "bob")) is None


def test_user_and_community_options_must_go_together(community: Community) -> None:
    alone = run_cli("status", "--user", "alice")
    assert alone.code == 2
    assert "give --community FILE too" in alone.err
    nobody = run_cli("sync", "--community", str(community.path))
    assert nobody.code == 2
    assert "--community without --user runs nobody's rules" in nobody.err
    both = run_cli("sync", "--community", str(community.path), "--config", "x.toml")
    assert both.code == 2
    assert "--config and --community" in both.err
    stranger = run_cli("status", "--community", str(community.path), "--user", "zoe")
    assert stranger.code == 3
    assert "no user 'zoe'" in stranger.err


# --- queueing -------------------------------------------------------------------------------------


def test_every_users_jobs_are_queued_and_a_broken_user_is_skipped(tmp_path: Path) -> None:
    users = {name: user_config(name) for name in ("alice", "bob", "carol")}
    path = make_community(tmp_path, {**users, "dave": "[accounts\n"})
    done = run_cli("sync", "--queue", "--community", str(path))
    assert done.code == 3, done.err  # dave's config: the others are queued all the same
    assert "dave: skipped: " in done.err
    assert "dave.toml" in done.err
    assert "6 jobs queued in " in done.out
    community = load_community(path)
    queue = Queue(community.settings())
    assert queue.waiting() == {
        Job("mirror", target, user) for user in users for target in ("dst", "masto")
    }
    for user in users:  # each ledger made before a job could open it
        assert community.state_path(user).exists()
    again = run_cli("sync", "--queue", "--community", str(path), "--user", "alice")
    assert again.code == 0, again.err
    assert "0 jobs queued" in again.out
    assert "2 already waiting" in again.out
    rule = run_cli("sync", "--queue", "--community", str(path), "--rule", "mirror")
    assert rule.code == 2
    assert "give --user NAME" in rule.err


# --- a real worker for two users ------------------------------------------------------------------


@pytest.fixture
def tumblr() -> Iterator[TumblrServer]:
    with running(latency=0.005) as live:
        yield live


@pytest.fixture
def two_users(tumblr: TumblrServer, mastodon_server: MockMastodon, tmp_path: Path) -> Path:
    """Alice and Bob, each logged in (`crosspost login --community --user`) to their own
    accounts; the community file."""
    people = {user: user_config(user, tumblr.url) for user in PEOPLE}
    path = make_community(tmp_path / "community", people)
    for user, (_, _, handle) in PEOPLE.items():
        for account, secret in (("src", TUMBLR_SECRET), ("dst", TUMBLR_SECRET)):
            login = ("login", account, "--community", str(path), "--user", user, "--stdin")
            assert run_cli(*login, stdin=secret).code == 0
        login = ("login", "masto", "--community", str(path), "--user", user, "--stdin")
        assert run_cli(*login, stdin=f"{handle}_token").code == 0
    return path


def add_posts(
    tumblr: TumblrServer, blog: str, count: int, label: str, start: int = 1700000000
) -> list[str]:
    texts = [f"{label} post {n}" for n in range(count)]
    for n, text in enumerate(texts):
        content = [{"type": "text", "text": text}]
        fields = {"timestamp": start + n * 60, "content": content, "tags": ["crosspost"]}
        tumblr.state.add(blog, fields)
    tumblr.state.add(blog, {"timestamp": start + 90000, "content": [{"type": "text", "text": "x"}]})
    return texts


def blog_texts(tumblr: TumblrServer, blog: str) -> list[str]:
    return [
        " ".join(block.get("text", "") for block in post.get("content", []))
        for post in tumblr.state.posts.get(blog, [])
    ]


def masto_texts(handle: str) -> list[str]:
    account = Account("m", Platform.MASTODON, f"{handle}@localhost.test", BASE_URL)
    client = MastodonClient(account, f"{handle}_token")
    texts: dict[str, str] = {}
    cursor: str | None = None
    while True:
        page = client.fetch_page(cursor)
        texts.update((post.ref.id, post.text.text) for post in page.posts)
        if page.cursor is None or not page.posts:
            return list(texts.values())
        cursor = page.cursor


def mirrored(texts: list[str], label: str) -> Counter[str]:
    """The mirrored posts by their text (a mirror carries a link back after it)."""
    return Counter(
        " ".join(text.split(" ")[1:3]) for text in texts if text.startswith(f"{label} post ")
    )


def start_worker(path: Path, home: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log = home / "worker.log"
    env = cli_env(home, {})
    # A variable named for an account would be every user's account of that name: unread.
    env.update(CROSSPOST_SECRET_MASTO="alice_token", CROSSPOST_SECRET_DST="wrong:wrong:x:y")
    args = ["worker", "--community", str(path), "--workers", "2", "--poll", "0.2"]
    with log.open("a") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "crosspost", *args, "--sweep-every", "0.5"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    return process, log


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for(done: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(done) and done():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_worker_runs_each_users_rules_on_their_own_accounts_only(
    two_users: Path, tumblr: TumblrServer, tmp_path: Path
) -> None:
    alice = add_posts(tumblr, "art", 6, "alice")
    bob = add_posts(tumblr, "bart", 4, "bob")
    queued = run_cli("sync", "--queue", "--community", str(two_users))
    assert queued.code == 0, queued.err
    assert "4 jobs queued" in queued.out
    assert "queued: alice: mirror -> masto" in queued.out
    process, log = start_worker(two_users, tmp_path)
    try:

        def finished() -> bool:
            return (
                len(blog_texts(tumblr, "echo")) >= len(alice)
                and len(blog_texts(tumblr, "becho")) >= len(bob)
                and len(masto_texts("alice")) >= len(alice)
                and len(masto_texts("bob")) >= len(bob)
            )

        assert wait_for(finished, 90), log.read_text()[-3000:]
        time.sleep(1.0)  # anything posted twice has had time to show
    finally:
        stop(process)
    names = [f"post {n}" for n in range(6)]
    assert mirrored(blog_texts(tumblr, "echo"), "alice") == Counter(names)
    assert mirrored(masto_texts("alice"), "alice") == Counter(names)
    assert mirrored(blog_texts(tumblr, "becho"), "bob") == Counter(names[:4])
    assert mirrored(masto_texts("bob"), "bob") == Counter(names[:4])
    # Never on the other's: each target holds its own user's mirrors and nothing else.
    assert len(blog_texts(tumblr, "echo")) == 6
    assert len(masto_texts("alice")) == 6
    assert len(blog_texts(tumblr, "becho")) == 4
    assert len(masto_texts("bob")) == 4
    text = log.read_text()
    assert "running jobs of 2 users from " in text
    assert "by job alice: mirror -> masto" in text
    assert "by job bob: mirror -> dst" in text

    summary = run_cli("status", "--community", str(two_users))
    assert summary.code == 0, summary.err
    lines = summary.out.splitlines()
    assert lines[0].startswith("alice: 1 rule, 12 published, 0 to publish, 0 waiting, 0 failed")
    assert lines[1].startswith("bob: 1 rule, 8 published, 0 to publish, 0 waiting, 0 failed")
    assert "last post 20" in lines[0]
    as_json = json.loads(run_cli("status", "--community", str(two_users), "--json").out)
    assert [(u["user"], u["published"]) for u in as_json["users"]] == [("alice", 12), ("bob", 8)]
    one = run_cli("status", "--community", str(two_users), "--user", "bob")
    assert one.code == 0, one.err
    assert "mirror: src -> dst, masto" in one.out
    assert "  dst: 4 published, 0 to publish, 0 waiting, 0 failed" in one.out
    assert "  masto: 4 published, 0 to publish, 0 waiting, 0 failed" in one.out

    # Bob's rules run inline too, from his own ledger: nothing is posted again.
    late = add_posts(tumblr, "bart", 1, "late", start=1700200000)
    inline = run_cli("sync", "--community", str(two_users), "--user", "bob")
    assert inline.code == 0, inline.out + inline.err
    assert mirrored(blog_texts(tumblr, "becho"), "late") == Counter(["post 0"])
    assert len(blog_texts(tumblr, "becho")) == 4 + len(late)
    assert len(blog_texts(tumblr, "echo")) == 6
