"""`crosspost convert`: one native post in, the target's payloads out, nothing sent."""

from __future__ import annotations

import json
from pathlib import Path

from crosspost.errors import ExitCode
from tests.cli_helpers import run_cli
from tests.fixtures import fixture_path

STATUS = "mastodon-docs/extracted/entities_Status.md_L0021_example.json"
RECORD = "bsky-docs/extracted/advanced-guides_posts.md_L0108_mentions-and-links.json"


def payloads(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_mastodon_status_to_bluesky_record() -> None:
    result = run_cli("convert", "--from", "mastodon", "--to", "bluesky", str(fixture_path(STATUS)))
    assert result.code == 0, result.err
    (record,) = payloads(result.out)
    assert record["$type"] == "app.bsky.feed.post"
    facet = record["facets"][0]  # type: ignore[index]
    text = str(record["text"]).encode()
    shown = text[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()
    assert shown.startswith("www.theguardian.com/")  # shortened for display only
    assert facet["features"][0]["uri"].endswith("one-wrong-digit-on-my-sort-code")
    origin = record["dev.crosspost.origin"]
    assert origin["url"] == "https://mastodon.social/@Gargron/103270115826048975"  # type: ignore[index]


def test_bluesky_mention_becomes_a_link_on_mastodon() -> None:
    result = run_cli("convert", "--from", "bluesky", "--to", "mastodon", str(fixture_path(RECORD)))
    assert result.code == 0, result.err
    (status,) = payloads(result.out)
    assert "@atproto.com" not in str(status["status"])  # never an @mention on the wrong network
    assert "https://bsky.app/profile/did:plc:" in str(status["status"])
    assert str(status["idempotency_key"]).startswith("crosspost-")
    assert "is not on mastodon" in result.err


def test_a_long_status_becomes_a_numbered_thread(tmp_path: Path) -> None:
    base = json.loads(fixture_path(STATUS).read_text())
    sentences = " ".join(f"Sentence number {n} of a long story." for n in range(40))
    base |= {"content": f"<p>{sentences}</p>", "card": None}
    native = tmp_path / "status.json"
    native.write_text(json.dumps(base))
    result = run_cli("convert", "--from", "mastodon", "--to", "bluesky", str(native))
    assert result.code == 0, result.err
    records = payloads(result.out)
    assert len(records) == 5
    texts = [str(r["text"]) for r in records]
    assert all(t.endswith(f"({i}/5)") for i, t in enumerate(texts, 1))
    joined = " ".join(t.rsplit(" (", 1)[0] for t in texts)
    assert joined.split() == sentences.split()
    keys = {r["dev.crosspost.origin"]["key"] for r in records}  # type: ignore[index]
    assert len(keys) == 5


def test_unreadable_input_is_one_line_and_exit_code_7(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"x":')
    result = run_cli("convert", "--from", "tumblr", "--to", "bluesky", str(bad))
    assert result.code == ExitCode.DATA
    assert result.err.strip().startswith("error: the tumblr post is not valid JSON")
    missing = run_cli("convert", "--from", "tumblr", "--to", "bluesky", str(tmp_path / "nope"))
    assert missing.code == ExitCode.NOT_FOUND  # not there is not malformed
    assert "nope: no such file" in missing.err
