"""What a post holds beyond its text, as the archive shows it: in the platform's own words (a
journal entry's mood and music), never as crosspost's notes about what other networks lack."""

from __future__ import annotations

from pathlib import Path

from crosspost.backup.store import BackupStore
from crosspost.model import Platform
from crosspost.platforms.registry import spec
from crosspost.view import render_site


def test_an_entrys_mood_and_music_read_as_the_journal_shows_them(tmp_path: Path) -> None:
    native = {
        "itemid": 1, "anum": 9, "ditemid": 265, "subject": "Tuesday",
        "eventtime": "2024-05-01 10:00:00", "logtime": "2024-05-01 10:00:00",
        "event": "<p>A quiet day.</p>",
        "props": {"current_mood": "contemplative", "current_music": "Nick Drake, Pink Moon"},
    }  # fmt: skip
    post = spec(Platform.DREAMWIDTH).to_post(native, "alice")
    BackupStore(tmp_path / "backup").account(Platform.DREAMWIDTH, "alice").save_post(post)
    render_site(tmp_path / "backup", tmp_path / "site")
    (page,) = (tmp_path / "site" / "posts").glob("*.html")
    html = page.read_text(encoding="utf-8")
    assert "Mood: contemplative" in html
    assert "Music: Nick Drake, Pink Moon" in html
    assert "no equivalent" not in html
