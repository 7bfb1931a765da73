"""migrate into a Pixelfed-shaped server (tests/fediverse_servers.py): what lands is what
Pixelfed's statusCreate takes, with the dated line (it cannot backdate); what it refuses is a
failure that says why, before any request."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crosspost.errors import UnfittableError
from crosspost.model import Media, MediaKind, RichText, Visibility
from crosspost.platforms.base import Draft
from crosspost.platforms.mastodon.instance import limits_from_instance
from crosspost.platforms.mastodon.software import software_of
from crosspost.platforms.mastodon.write import from_draft
from crosspost.platforms.spec import WriteContext
from tests.fediverse_servers import Behaviour, backup_of, migrate_backup, serving, source_post

WHEN = datetime(2022, 8, 9, 7, 0, tzinfo=UTC)
LINE = "Originally posted on Bluesky on 2022-08-09."
PIXELFED = software_of("pixelfed", "0.12.4")


def test_pixelfed_gets_photos_with_their_alt_text_warning_and_the_dated_line(
    tmp_path: Path,
) -> None:
    photo = Media(MediaKind.IMAGE, url="https://cdn.gone.example/a.png", mime="image/png")
    posts = [
        source_post(1, "a photo", when=WHEN, media=(replace(photo, alt="x" * 1200),)),
        source_post(2, "spoilers", when=WHEN, media=(photo,), content_warning="film ending"),
        source_post(3, "just words", when=WHEN),
    ]
    root = backup_of(tmp_path / "backup", posts)
    with serving(tmp_path / "media", Behaviour("pixelfed", "0.12.4")) as server:
        report, statuses = migrate_backup(server, root)
    assert report.published == 2
    assert [s.text.text for s in statuses] == [f"a photo\n\n{LINE}", f"spoilers\n\n{LINE}"]
    assert [len(s.media) for s in statuses] == [1, 1]
    assert statuses[0].media[0].alt == "x" * 1000  # Pixelfed's max_altext_length
    assert statuses[1].content_warning == "film ending"  # kept: sent as sensitive
    assert statuses[1].sensitive
    (failed,) = report.failed
    assert failed[0].endswith("3kpost3")
    assert "Pixelfed takes no status without media unless it replies" in failed[2]


def test_pixelfed_limits_count_code_points_and_refuse_direct() -> None:
    instance = {"configuration": {"statuses": {"max_characters": 500, "max_media_attachments": 4}}}
    limits = limits_from_instance(instance, PIXELFED)
    assert (limits.max_chars, limits.max_media, limits.max_alt_chars) == (500, 4, 1000)
    url = "https://example.com/" + "a" * 100
    assert limits.text.count_chars is not None
    assert limits.text.count_chars(url, 23, "") == len(url)  # whole, not 23
    context = WriteContext(now=WHEN, limits=limits, uploads=("1",))
    draft = Draft(RichText("hi"), "k", visibility=Visibility.DIRECT)
    with pytest.raises(UnfittableError, match="Pixelfed has no direct"):
        from_draft(draft, context, PIXELFED)
    warned = from_draft(Draft(RichText("hi"), "k", content_warning="w" * 200), context, PIXELFED)
    assert warned["sensitive"] is True
    assert len(warned["spoiler_text"]) == 140
    assert "scheduled_at" not in warned
