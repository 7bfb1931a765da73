"""The public site on real Mastodon statuses: every status the recorded mastodon-py cassettes
hold (public, unlisted, followers-only and direct, as a real server answered), converted by the
Mastodon reader into a backup; the site shows the public and unlisted ones and no file of it
holds the id of any other."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crosspost.backup.store import BackupStore
from crosspost.model import Platform, Post, Visibility
from crosspost.platforms.mastodon.read import to_post
from crosspost.view.public import render_public_site
from crosspost.view.public_archive import PUBLIC
from tests.fixtures import SKIP_REASON, fixtures_root
from tests.test_mastodon_convert import CASSETTES, ME, _bodies, _walk


def test_real_followers_only_and_direct_statuses_never_reach_the_site(tmp_path: Path) -> None:
    root = fixtures_root()
    if root is None:
        pytest.skip(SKIP_REASON)
    backup = BackupStore(tmp_path / "backup").account(Platform.MASTODON, ME)
    posts: dict[str, Post] = {}
    for path in sorted((root / CASSETTES).glob("*.yaml")):
        for status in (s for body in _bodies(path) for s in _walk(body)):
            post = to_post(status, account=ME)
            posts.setdefault(post.ref.id, post)
    for post in posts.values():
        backup.save_post(post)
    shown = {p.ref.id for p in posts.values() if p.visibility in PUBLIC and not p.deleted}
    hidden = {p.ref.id: p for p in posts.values() if p.ref.id not in shown}
    kinds = {p.visibility for p in hidden.values()}
    assert {Visibility.FOLLOWERS, Visibility.DIRECT} <= kinds, kinds  # the data has both
    report = render_public_site(tmp_path / "backup", tmp_path / "site")
    assert report.posts == len(shown)
    assert report.left_out == len(hidden)
    files = [(p, p.read_bytes()) for p in (tmp_path / "site").rglob("*") if p.is_file()]
    public_text = " ".join(p.text.text for p in posts.values() if p.ref.id in shown)
    for post_id, post in hidden.items():
        for path, data in files:
            assert post_id.encode() not in data, (post_id, path)
            assert post_id not in os.fspath(path)
            words = post.text.text.strip()
            if len(words) > 12 and words not in public_text:  # its own words, not "Toot!"
                assert words.encode() not in data, (words, path)
