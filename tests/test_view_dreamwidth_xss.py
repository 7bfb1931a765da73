"""Hostile Dreamwidth entry HTML, read as a backup reads it and rendered by the viewer and the
public site: whatever the entry's HTML, subject, user tags, cuts, tags or props carry, no page
holds a script, an event handler or a script URL (the XSS corpus of the viewer's browser tests)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from crosspost.backup.store import BackupStore
from crosspost.model import Platform
from crosspost.platforms.registry import spec
from crosspost.view import render_site
from crosspost.view.public import render_public_site
from tests.test_view_browser import PAYLOADS

_SCRIPT_URL = ("javascript:", "vbscript:", "data:text/html")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "svg", "math", "details"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            text = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name in ("href", "src", "action", "formaction", "srcdoc") and (
                text.startswith(_SCRIPT_URL) or name == "srcdoc"
            ):
                self.found.append(f"{tag} {name}={text[:30]}")


def hostile_entries(root: Path) -> None:
    backup = BackupStore(root).account(Platform.DREAMWIDTH, "alice")
    to_post = spec(Platform.DREAMWIDTH).to_post
    for number, payload in enumerate(PAYLOADS):
        native = {
            "itemid": number + 1,
            "anum": 7,
            "ditemid": (number + 1) * 256 + 7,
            "eventtime": "2024-05-01 10:00:00",
            "logtime": "2024-05-01 10:00:00",
            "subject": payload,
            "event": (
                f'<p>xss {number} {payload} end</p><lj user="{payload}">'
                f'<user name="{payload}" site="{payload}"><cut text="{payload}">{payload}</cut>'
                f'<img src="{payload}" alt="{payload}"><a href="{payload}">{payload}</a>'
            ),
            "url": f"https://alice.dreamwidth.org/{(number + 1) * 256 + 7}.html",
            "props": {"taglist": f"{payload}, xss{number}", "current_mood": payload},
        }
        backup.save_post(to_post(native, "alice"))


@pytest.mark.parametrize("public", [False, True], ids=["view", "site"])
def test_hostile_entries_come_out_inert(tmp_path: Path, public: bool) -> None:
    hostile_entries(tmp_path / "backup")
    out = tmp_path / "site"
    if public:
        render_public_site(tmp_path / "backup", out)
    else:
        render_site(tmp_path / "backup", out)
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > len(PAYLOADS)  # a page per entry, and the listings
    shown = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        shown += text.count("xss ")
        parser = _Tags()
        parser.feed(text)
        scripts = [t for t in parser.found if t != "<script>"]
        assert not scripts, f"{page.relative_to(out)}: {scripts}"
        # The pages' own scripts are files of the site, never inline code from an entry.
        assert "window.__xss" not in _script_bodies(text), page
    assert shown >= len(PAYLOADS)  # the entries were rendered, not dropped


def _script_bodies(html: str) -> str:
    bodies, rest = [], html
    while "<script" in rest:
        start = rest.index("<script")
        end = rest.find("</script>", start)
        if end < 0:
            break
        bodies.append(rest[rest.index(">", start) + 1 : end])
        rest = rest[end + 9 :]
    return "".join(bodies)
