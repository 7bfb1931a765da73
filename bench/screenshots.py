"""The README's screenshots, made from backups that crosspost itself makes of local servers.

Starts the real local Bluesky PDS (tests/bluesky_pds.py) and the Tumblr-shaped server
(tests/tumblr_server.py), fills them as their apps would (a profile with an avatar, posts with
images, a self-thread on Bluesky; on Tumblr the documented NPF photoset rows and ask from
/work/shared/fixtures, and a poll block), and the Dreamwidth-shaped server
(tests/dreamwidth_server.py: a journal with a cut, userpics and a comment thread), runs
`crosspost backup` of the three accounts in a
subprocess, renders the backup with `crosspost view` and `crosspost site`, and photographs the
pages in headless Chromium at 1280x800 into docs/screenshots/ (PNGs quantised by Pillow).

Tumblr's poll block is in the shape the reader takes (question, answers with answer_text): no
real poll block is among the fixtures.

It lives in bench/ with the other scripts that drive crosspost against local servers (it is not a
test, and it imports test helpers, which tools/ scripts do not).

Prerequisites: the project's venv with the test extras (`pip install -e '.[test]'`: selenium,
Pillow), the local PDS (`tools/pds/pds.sh install`, as .ci/setup-pds.sh does), Chromium and
chromedriver (.ci/setup-browser.sh), and the fixtures (CROSSPOST_FIXTURES or
/work/shared/fixtures).
Run from the project root: `python bench/screenshots.py [--out docs/screenshots] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw

from tests.backup_world import cli_env, crosspost, run
from tests.bluesky_pds import LAUNCHER, PdsAccount, create_account, pds_installed, start_pds
from tests.bluesky_seed import Seeder, stamp, tid_for
from tests.browser import browser_problem, start_chromium
from tests.dreamwidth_server import KEY, Comment, DreamwidthServer, journal
from tests.fixtures import fixture_path
from tests.tumblr_server import CONSUMER, TumblrServer, running

WIDTH, HEIGHT = 1280, 800
NPF = "tumblr-docs/extracted/npf-spec.md_"
BLOG = "tambler"
HANDLE = "ada.test"
JOURNAL = "grace"
TUMBLR_START = 1_767_300_000  # 2026-01-01 20:40 UTC
PALETTE = ((231, 111, 81), (42, 157, 143), (233, 196, 106), (38, 70, 83), (244, 162, 97))


def picture(number: int, size: tuple[int, int] = (640, 420)) -> bytes:
    """A small real PNG, a gradient with a sun and hills, different for every number."""
    top, bottom = PALETTE[number % 5], PALETTE[(number + 2) % 5]
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    width, height = size
    for y in range(height):
        mix = y / height
        draw.line(
            [(0, y), (width, y)],
            tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)),
        )
    sun = PALETTE[(number + 1) % 5]
    x = width * (0.25 + 0.5 * ((number * 37) % 10) / 10)
    draw.ellipse([x - 50, height * 0.2, x + 50, height * 0.2 + 100], fill=sun)
    draw.polygon([(0, height), (width * 0.4, height * 0.55), (width, height)], fill=PALETTE[3])
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def fixture(relative: str) -> Any:
    return json.loads(fixture_path(relative).read_text(encoding="utf-8"))


# Bluesky, on the local PDS


def seed_bluesky(account: PdsAccount) -> None:
    """A profile with an avatar and banner, a few posts with images, a self-thread of three."""
    seeder = Seeder.open(account)
    try:
        profile = {
            "displayName": "Ada Lovelace",
            "description": "Notes on engines, looms and poetical science. Backed up by crosspost.",
            "avatar": seeder.blob(picture(1, (400, 400)), "image/png"),
            "banner": seeder.blob(picture(3, (1500, 500)), "image/png"),
        }
        seeder.put("app.bsky.actor.profile", "self", profile)
        posts = [
            "Started a new notebook for the Analytical Engine. The first page is all diagrams.",
            "The loom does not think, it weaves. Neither does the engine: it follows the cards.",
        ]
        for number, text in enumerate(posts):
            seeder.create(
                "app.bsky.feed.post",
                {"text": text, "createdAt": stamp(number * 60), "langs": ["en"]},
                tid_for(f"post{number}", number * 60),
            )
        images = [
            {"image": seeder.blob(picture(n), "image/png"), "alt": alt,
             "aspectRatio": {"width": 640, "height": 420}}
            for n, alt in ((4, "A warm sunset over a green hill"), (2, "The same hill at noon"))
        ]  # fmt: skip
        seeder.create(
            "app.bsky.feed.post",
            {
                "text": "Two views from the study window #sketches",
                "facets": [_tag_facet("Two views from the study window ", "sketches")],
                "createdAt": stamp(200),
                "embed": {"$type": "app.bsky.embed.images", "images": images},
            },
            tid_for("pictures", 200),
        )
        _thread(seeder)
    finally:
        seeder.close()


def _tag_facet(before: str, tag: str) -> dict[str, Any]:
    start = len(before.encode())
    end = start + len(tag.encode()) + 1
    return {
        "index": {"byteStart": start, "byteEnd": end},
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
    }


def _thread(seeder: Seeder) -> None:
    texts = [
        "A thread on Note G, the table that computes Bernoulli numbers. (1/3)",
        "Each row of the table is one operation of the engine, with the variables it reads and"
        " the ones it writes. (2/3)",
        "It is a program before there were programs: the engine could loop back over its own"
        " cards. (3/3)",
    ]
    root: dict[str, str] | None = None
    parent: dict[str, str] | None = None
    for number, text in enumerate(texts):
        record: dict[str, Any] = {"text": text, "createdAt": stamp(300 + number), "langs": ["en"]}
        if root and parent:
            record["reply"] = {"root": root, "parent": parent}
        parent = seeder.create(
            "app.bsky.feed.post", record, tid_for(f"thread{number}", 300 + number)
        )
        root = root or parent


# Tumblr, on the Tumblr-shaped server


def seed_tumblr(server: TumblrServer) -> None:
    """The documented photoset (four rows) with a poll after it, the documented ask, and a post
    with one image; their images served by the server, so the backup downloads them."""
    state = server.state
    state.media["avatar"] = picture(0, (128, 128))
    avatar = [{"width": 128, "height": 128, "url": f"{server.url}/media/avatar"}]
    state.blogs[BLOG] = {
        "title": "Tambler HQ",
        "description": "Life at the office",
        "avatar": avatar,
    }
    photoset = copy.deepcopy(fixture(NPF + "L1345_layout-block-type-rows.json"))
    number = 0
    for block in photoset["content"]:
        if block["type"] == "image":
            number += 1
            block["media"] = [_image(server, f"p{number}", number)]
            block["alt_text"] = f"Photo {number} of the office"
    photoset["content"].append(
        {
            "type": "poll",
            "client_id": "b1e0c3d2-0f6e-4c55-8a43-7f1f7c1a9d10",
            "question": "Which room should get the new plants?",
            "answers": [
                {"client_id": "0a7d", "answer_text": "The kitchen"},
                {"client_id": "1b8e", "answer_text": "The meeting room"},
                {"client_id": "2c9f", "answer_text": "Everywhere"},
            ],
            "settings": {"multiple_choice": False, "close_status": "open", "expire_after": 604800},
        }
    )
    state.add(
        BLOG,
        {"timestamp": TUMBLR_START, "content": photoset["content"], "layout": photoset["layout"],
         "tags": ["office", "photos"]},
    )  # fmt: skip
    ask = fixture(NPF + "L1535_layout-block-type-ask.json")["layout"]
    asker = {"name": "cyle", "url": "https://cyle.tumblr.com/"}
    ask[0]["attribution"] = {"type": "blog", "url": "https://cyle.tumblr.com", "blog": asker}
    asked = [
        {"type": "text", "text": "What is the best thing about working at Tambler?"},
        {"type": "text", "text": "The photos, clearly."},
    ]
    state.add(BLOG, {"timestamp": TUMBLR_START - 3600, "content": asked, "layout": ask})
    roof = {"type": "image", "media": [_image(server, "roof", 7)], "alt_text": "A roof view"}
    single = [{"type": "text", "text": "The view from the roof this morning."}, roof]
    state.add(BLOG, {"timestamp": TUMBLR_START - 7200, "content": single, "tags": ["roof"]})


def _image(server: TumblrServer, key: str, number: int) -> dict[str, Any]:
    server.state.media[key] = picture(number)
    return {"url": f"{server.url}/media/{key}", "type": "image/png", "width": 640, "height": 420}


# Backups, sites, screenshots


def seed_dreamwidth(dw: DreamwidthServer) -> None:
    """A journal as fandom keeps one: a long entry with a cut and a user tag, a locked entry,
    userpics, and a comment thread with replies and an anonymous reader."""
    user = dw.users[JOURNAL]
    user.fullname = "Grace's reading journal"
    user.pickws, user.defaultpicid = {"reading": 1, "cat": 2}, 1
    user.userpics = {1: picture(7, (100, 100)), 2: picture(8, (100, 100))}
    pal = dw.add_user("ladyloveless", "pal-key", fullname="Ada")
    dw.add_user("bookwyrm", "wyrm-key", fullname="Wyrm")
    entry = dw.add_entry(
        JOURNAL,
        "Reading Wednesday: the engine that weaves",
        "<p><b>What I finished:</b> the notes on the Analytical Engine, at last. "
        '<lj user="ladyloveless"> lent me her annotated copy.</p>'
        '<cut text="the long part"><p>Note G is the famous one: a table of operations for the '
        "Bernoulli numbers, worked out step by step.</p><p>What struck me is how plainly it is "
        "written: the engine weaves algebraic patterns just as the Jacquard loom weaves "
        "flowers and leaves.</p></cut>"
        "<p><i>What I'm reading now:</i> letters, mostly.</p>",
        "2026-01-07 20:15:00",
        logtime="2026-01-07 20:15:41",  # posted then: the server logs the time of posting
        props={"taglist": "reading wednesday, books, engines", "current_mood": "contemplative"},
    )
    dw.add_entry(JOURNAL, "Friends only", "<p>Not for the archive's front page.</p>",
                 "2026-01-08 09:00:00", logtime="2026-01-08 09:00:12",
                 security="usemask", allowmask=1)  # fmt: skip
    wyrm = dw.users["bookwyrm"]
    user.comments = {
        1: Comment(1, entry.itemid, pal.userid, subject="Note G!",
                   body="Told you it was worth it. The table is the whole point.",
                   datepost="2026-01-07 21:02:00"),
        2: Comment(2, entry.itemid, user.userid, parentid=1,
                   body="It is! I copied it out by hand to follow it.",
                   datepost="2026-01-07 21:30:00"),
        3: Comment(3, entry.itemid, wyrm.userid, parentid=2,
                   body="Please post the copy? I'd love to see your working.",
                   datepost="2026-01-08 08:12:00"),
        4: Comment(4, entry.itemid, 0, body="Lurker here: thank you for the rec.",
                   datepost="2026-01-08 10:45:00"),
    }  # fmt: skip


@contextmanager
def local_pds(folder: Path) -> Iterator[str]:
    if not pds_installed():
        sys.exit("the local PDS is not installed: run tools/pds/pds.sh install")
    pds = start_pds(folder)
    try:
        yield pds.url
    finally:
        subprocess.run([str(LAUNCHER), "stop", str(pds.pid)], capture_output=True, check=False)


def cli(env: dict[str, str], *args: str) -> None:
    done = run(crosspost(*args), env)
    if done.returncode != 0:
        sys.exit(f"crosspost {' '.join(args)} failed:\n{done.stderr[-2000:]}")


def make_backup(work: Path) -> Path:
    """Backs both accounts up with the CLI into work/backup; returns the backup folder."""
    backup = work / "backup"
    with local_pds(work / "pds") as url, running() as server, journal(JOURNAL) as dw:
        account = create_account(url, HANDLE)
        seed_bluesky(account)
        seed_tumblr(server)
        seed_dreamwidth(dw)
        config = work / "config.toml"
        config.write_text(
            f'[accounts.sky]\nplatform = "bluesky"\nhandle = "{account.handle}"\n'
            f'service = "{url}"\n\n'
            f'[accounts.{BLOG}]\nplatform = "tumblr"\nblog = "{BLOG}"\nservice = "{server.url}"\n\n'
            f'[accounts.{JOURNAL}]\nplatform = "dreamwidth"\njournal = "{JOURNAL}"\n'
            f'service = "{dw.base_url}"\n'
        )
        env = cli_env(work, {"sky": account.password, BLOG: CONSUMER[0], JOURNAL: KEY})
        for name in ("sky", BLOG, JOURNAL):
            cli(env, "backup", name, "-c", str(config), "-d", str(backup), "-q")
    env = cli_env(work, {})
    cli(env, "view", str(backup), "--out", str(work / "view"), "-q")
    cli(env, "site", str(backup), "--out", str(work / "site"), "-q")
    return backup


def find_page(site: Path, pattern: str, words: str) -> Path:
    """The first page under `site` matching `pattern` that holds `words`."""
    for path in sorted(site.glob(pattern)):
        if words in path.read_text(encoding="utf-8"):
            return path
    sys.exit(f"no page {pattern} in {site} holds {words!r}: has the viewer's layout changed?")


def shots(work: Path) -> dict[str, Path]:
    view, site = work / "view", work / "site"
    return {
        "view-index": view / "index.html",
        "view-post": find_page(view, "posts/*.html", "Which room should get the new plants?"),
        "view-thread": find_page(view, "threads/*.html", "(3/3)"),
        "view-profile": find_page(view, "accounts/*.html", "poetical science"),
        "view-comments": find_page(view, "posts/*.html", "Lurker here"),
        "site-index": site / "index.html",
    }


# Words a shot must show whole: the page is scrolled until they sit at the bottom of the screen.
SHOW = {"view-post": "Everywhere", "view-comments": "Lurker here"}
SCROLL = """
const words = document.evaluate(`//*[text()[contains(., '${arguments[0]}')]]`, document.body,
    null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
window.scrollTo(0, Math.max(0, words.getBoundingClientRect().bottom + window.scrollY + 40
    - window.innerHeight));
"""


def photograph(pages: dict[str, Path], out: Path) -> list[Path]:
    from selenium.webdriver.common.by import By

    out.mkdir(parents=True, exist_ok=True)
    driver = start_chromium(WIDTH, HEIGHT)
    saved = []
    try:
        driver.set_window_size(WIDTH, HEIGHT)
        inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
        driver.set_window_size(2 * WIDTH - inner[0], 2 * HEIGHT - inner[1])
        for name, page in pages.items():
            driver.get(page.as_uri())
            driver.find_element(By.TAG_NAME, "body")
            if name in SHOW:
                driver.execute_script(SCROLL, SHOW[name])
            path = out / f"{name}.png"
            driver.save_screenshot(str(path))
            shrink(path)
            saved.append(path)
    finally:
        driver.quit()
    return saved


def shrink(path: Path) -> None:
    """Quantise to 256 colours: a page is flat colours and text, so it keeps its look."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    small.save(path, "PNG", optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--keep", type=Path, help="make the backup and sites here, and keep them")
    args = parser.parse_args()
    if (problem := browser_problem()) is not None:
        sys.exit(problem)
    work = args.keep or Path(tempfile.mkdtemp(prefix="crosspost-screenshots-"))
    try:
        make_backup(work)
        for path in photograph(shots(work), args.out):
            print(f"{path} ({path.stat().st_size // 1024} KiB)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
