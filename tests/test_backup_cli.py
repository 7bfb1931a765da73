"""`crosspost backup` and `verify` end to end against local servers: mastodon-mock and the
Tumblr-shaped loopback server (real HTTP, the real entry point, no network beyond loopback)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from crosspost.accounts import Account
from crosspost.model import Platform, RichText
from crosspost.platforms.base import Draft, RetryPolicy
from crosspost.platforms.mastodon.client import MastodonClient
from tests.backup_mastodon import TOKEN, Mock, mastodon_mock
from tests.cli_helpers import run_cli
from tests.tumblr_server import CONSUMER, USER, TumblrServer, running

__all__ = ["mastodon_mock"]


def png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, "PNG")
    return buffer.getvalue()


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body)
    return path


# --- Tumblr --------------------------------------------------------------------------------------


@pytest.fixture
def tumblr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TumblrServer, Path]]:
    with running() as server:
        config = write_config(
            tmp_path,
            f'[accounts.art]\nplatform = "tumblr"\nblog = "art"\nservice = "{server.url}"\n',
        )
        monkeypatch.setenv("CROSSPOST_SECRET_ART", ":".join((*CONSUMER, *USER)))
        yield server, config


def add_image_post(server: TumblrServer, number: int) -> None:
    key = f"img{number}"
    server.state.media[key] = png("blue" if number % 2 else "red")
    block = {
        "type": "image",
        "media": [{"url": f"{server.url}/media/{key}", "type": "image/png", "width": 4}],
    }
    server.state.add("art", {"timestamp": 1700000000 - number * 60, "content": [block]})


def test_tumblr_backup_incremental_and_verify(
    tumblr: tuple[TumblrServer, Path], tmp_path: Path
) -> None:
    server, config = tumblr
    server.state.add_posts("art", 120, start=1699000000)
    for number in range(5):
        add_image_post(server, number)
    out = tmp_path / "out"
    first = run_cli("backup", "art", "--config", str(config), "--dir", str(out), "--json", "-q")
    assert first.code == 0, first.err
    summary = json.loads(first.out)
    assert summary["new"] == 125
    assert summary["media_downloaded"] == 6  # five images and the blog's avatar
    # 125 posts in pages of 50 and the empty page that says there is nothing older, then
    # (signed) the drafts and the queue: one call each.
    assert summary["list_calls"] == 6
    assert summary["complete"] is True

    server.state.log.clear()
    again = run_cli("backup", "art", "--config", str(config), "--dir", str(out), "--json")
    assert json.loads(again.out)["list_calls"] == 1
    assert len([entry for entry in server.state.log if "/posts" in entry[1]]) == 1

    checked = run_cli("verify", str(out))
    assert checked.code == 0, checked.out + checked.err
    assert "125 posts, 3 media files" in checked.out  # two distinct images and the avatar
    assert "no problems found" in checked.out


def test_a_spent_rate_limit_stops_with_exit_6_and_says_how_to_resume(
    tumblr: tuple[TumblrServer, Path], tmp_path: Path
) -> None:
    server, config = tumblr
    server.state.add_posts("art", 120, start=1699000000)
    server.state.hour_remaining = 1  # the first page spends the hour; its reset is 30 min away
    out = tmp_path / "out"
    stopped = run_cli("backup", "art", "--config", str(config), "--dir", str(out), "-q")
    assert stopped.code == 6, stopped.err
    assert f"run `crosspost backup art --dir {out}` again to resume" in stopped.err
    assert "50 new" in stopped.out
    server.state.hour_remaining = 1000
    resumed = run_cli("backup", "art", "--config", str(config), "--dir", str(out), "--json", "-q")
    assert resumed.code == 0, resumed.err
    summary = json.loads(resumed.out)
    assert summary["resumed"] is True
    assert summary["complete"] is True
    assert len(list((out / "tumblr" / "art" / "posts").glob("*.json"))) == 120


def test_full_marks_a_deleted_tumblr_post(
    tumblr: tuple[TumblrServer, Path], tmp_path: Path
) -> None:
    server, config = tumblr
    server.state.add_posts("art", 30, start=1699000000)
    out = tmp_path / "out"
    assert run_cli("backup", "art", "-c", str(config), "-d", str(out), "-q").code == 0
    gone = server.state.posts["art"].pop(3)["id_string"]
    full = run_cli("backup", "art", "-c", str(config), "-d", str(out), "--full", "--json", "-q")
    assert json.loads(full.out)["deleted"] == 1
    saved = json.loads((out / "tumblr" / "art" / "posts" / f"{gone}.json").read_text())
    assert saved["post"]["deleted"] is True


def test_a_full_run_with_the_api_key_alone_keeps_drafts_saved_by_a_signed_run(
    tumblr: tuple[TumblrServer, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, config = tumblr
    server.state.add_posts("art", 20, start=1699000000)
    draft = server.state.add("art", {"timestamp": 1699500000, "state": "draft", "content": []})
    out = tmp_path / "out"
    assert run_cli("backup", "art", "-c", str(config), "-d", str(out), "-q").code == 0
    draft_file = out / "tumblr" / "art" / "posts" / f"{draft['id_string']}.json"
    assert draft_file.is_file()
    monkeypatch.setenv("CROSSPOST_SECRET_ART", CONSUMER[0])  # the API key alone: public reads
    full = run_cli("backup", "art", "-c", str(config), "-d", str(out), "--full")
    assert full.code == 0, full.err
    assert "0 marked deleted" in full.out
    assert "1 private post (drafts, queue, followers-only) not checked for deletion" in full.out
    assert "crosspost login" in full.err
    assert json.loads(draft_file.read_text())["post"]["deleted"] is False


def test_bad_since_is_a_usage_error(tumblr: tuple[TumblrServer, Path]) -> None:
    _, config = tumblr
    result = run_cli("backup", "art", "-c", str(config), "--since", "last tuesday")
    assert result.code == 2
    assert "--since" in result.err


# --- Mastodon ------------------------------------------------------------------------------------


def test_mastodon_backup_with_media_and_verify(
    mastodon_mock: Mock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url = mastodon_mock.base_url
    account = Account("masto", Platform.MASTODON, mastodon_mock.identity, service=base_url)
    writer = MastodonClient(
        account, TOKEN, retry=RetryPolicy(sleep=lambda s: None), media_source=lambda m: png("red")
    )
    from crosspost.model import Media, MediaKind

    for number in range(45):
        media = (Media(MediaKind.IMAGE, mime="image/png", alt="red"),) if number < 3 else ()
        writer.publish(Draft(RichText(f"status {number}"), f"k{number}", media=media))
    config = write_config(
        tmp_path,
        '[accounts.masto]\nplatform = "mastodon"\nhandle = "alice@mock.test"\n'
        f'service = "{base_url}"\n',
    )
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", TOKEN)
    out = tmp_path / "out"
    first = run_cli("backup", "masto", "-c", str(config), "-d", str(out))
    assert first.code == 0, first.err
    assert "45 new" in first.out
    assert "3 downloaded" in first.out
    again = run_cli("backup", "masto", "-c", str(config), "-d", str(out), "--json", "-q")
    assert json.loads(again.out)["list_calls"] == 1
    checked = run_cli("verify", str(out), "--json")
    report = json.loads(checked.out)
    assert checked.code == 0, report
    assert report["posts"] == 45
    # Corrupt one media file: verify must say so and exit 7.
    image = next((out / "mastodon").rglob("*.png"))
    image.write_bytes(image.read_bytes()[:-1] + b"x")
    broken = run_cli("verify", str(out))
    assert broken.code == 7
    assert "corrupt" in broken.out


def test_a_tumblr_backup_keeps_the_whole_account(
    tumblr: tuple[TumblrServer, Path], tmp_path: Path
) -> None:
    """Profile with its avatar, likes, following and followers, and the reblogged art: every
    image inside a reblog trail is in the media store after the backup."""
    from tests.test_tumblr_account_flow import add_likes, people

    server, config = tumblr
    for number in range(3):
        key = f"art{number}"
        server.state.media[key] = png(("green", "yellow", "purple")[number])
    trail = [
        {
            "blog": {"name": "painter", "uuid": "t:painter"},
            "post": {"id": "9001"},  # NPF gives a trail item no date of its own
            "content": [
                {
                    "type": "image",
                    "media": [{"url": f"{server.url}/media/art{n}", "type": "image/png"}],
                }
                for n in range(3)
            ],
            "layout": [],
        }
    ]
    server.state.add(
        "art",
        {
            "timestamp": 1700000000,
            "content": [{"type": "text", "text": "so good"}],
            "trail": trail,
            "reblogged_from_id": "9001",
            "reblogged_from_name": "painter",
        },
    )
    add_likes(server.state, 25)
    server.state.following["art"] = people([f"f{n}" for n in range(30)])
    server.state.followers["art"] = people([f"r{n}" for n in range(45)])
    out = tmp_path / "out"
    first = run_cli("backup", "art", "-c", str(config), "-d", str(out))
    assert first.code == 0, first.err
    assert "  profile: new" in first.out  # (the banner, on a host out of reach here: below)
    assert "  likes: 25 kept, 25 new" in first.out
    assert "  following: 30 kept, 30 new" in first.out
    assert "  followers: 45 kept, 45 new" in first.out
    folder = out / "tumblr" / "art"
    (post_file,) = (folder / "posts").glob("*.json")
    reblog = json.loads(post_file.read_text())["post"]
    (original,) = reblog["trail"]
    assert original["undated"] is True
    assert len(original["media"]) == 3
    for item in original["media"]:
        assert (out / item["local_path"]).read_bytes() == server.state.media[
            item["url"].rsplit("/", 1)[1]
        ]
    profile = json.loads((folder / "profile.json").read_text())["profile"]
    assert profile["handle"] == "art"
    assert (out / profile["avatar"]["local_path"]).is_file()

    again = run_cli("backup", "art", "-c", str(config), "-d", str(out), "--json", "-q")
    summary = json.loads(again.out)
    assert summary["profile"] == "unchanged"
    assert summary["collections"]["likes"] == {"entries": 25, "new": 0}
    # Only the banner is asked for again: Tumblr's static host is out of reach here.
    assert summary["media_calls"] == 1
    assert summary["profile_media_missing"][0].startswith("banner: ")
    assert "  profile: new; banner not stored (the next run tries again)" in first.out
    checked = run_cli("verify", str(folder), "--json")
    assert checked.code == 0, checked.out
    report = json.loads(checked.out)
    assert report["collections"] == {"blocks": 0, "followers": 45, "following": 30, "likes": 25}
    assert report["profiles"] == 1


def test_a_mastodon_backup_keeps_the_whole_account_and_edit_history(
    mastodon_mock: Mock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Favourites, bookmarks, boosts, follows and mutes through the API, the profile, and a
    status edited twice: its earlier versions are on disk after a backup."""
    from mastodon import Mastodon

    def api(token: str) -> Mastodon:
        return Mastodon(
            access_token=token, api_base_url=mastodon_mock.base_url, version_check_mode="none"
        )

    alice, bob = api(TOKEN), api("bob_token")
    said = [bob.status_post(f"bob says {n}")["id"] for n in range(3)]
    for status in said:
        alice.status_favourite(status)
    alice.status_bookmark(said[0])
    alice.status_reblog(said[1])
    alice.account_follow(bob.me()["id"])
    mine = alice.status_post("first wording")
    alice.status_update(mine["id"], "second wording")
    alice.status_update(mine["id"], "third wording")
    config = write_config(
        tmp_path,
        '[accounts.masto]\nplatform = "mastodon"\nhandle = "alice@mock.test"\n'
        f'service = "{mastodon_mock.base_url}"\n',
    )
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", TOKEN)
    out = tmp_path / "out"
    first = run_cli("backup", "masto", "-c", str(config), "-d", str(out), "--json", "-q")
    assert first.code == 0, first.err
    summary = json.loads(first.out)
    assert summary["profile"] == "new"
    kept = {kind: counts["entries"] for kind, counts in summary["collections"].items()}
    assert kept["likes"] == 3
    assert kept["bookmarks"] == 1
    assert kept["reposts"] == 1
    assert kept["following"] == 1
    assert summary["history_calls"] == 1
    (folder,) = (out / "mastodon").iterdir()
    likes = json.loads((folder / "collections" / "likes.json").read_text())["entries"]
    assert [e["post"]["text"]["text"] for e in likes] == [f"bob says {n}" for n in (2, 1, 0)]
    # The follows in the file Mastodon's own import takes (Preferences > Import and export).
    portable = (folder / "collections" / "following_accounts.csv").read_text().splitlines()
    assert portable[0] == "Account address,Show boosts,Notify on new posts,Languages"
    assert [row.split("@")[0] for row in portable[1:]] == ["bob"]
    assert portable[1].endswith(",true,false,")
    (versions,) = (folder / "versions").iterdir()
    texts = [json.loads(p.read_text())["post"]["text"]["text"] for p in sorted(versions.iterdir())]
    assert texts == ["first wording", "second wording"]
    again = run_cli("backup", "masto", "-c", str(config), "-d", str(out), "--json", "-q")
    assert json.loads(again.out)["history_calls"] == 0  # the edit is known: not asked again
    checked = run_cli("verify", str(folder), "--json")
    assert checked.code == 0, checked.out
    assert json.loads(checked.out)["versions"] == 2
