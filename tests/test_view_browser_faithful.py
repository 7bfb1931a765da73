"""End to end in headless Chromium: posts look as their platforms show them, on a backup that
crosspost's own BackupStore writes from real records (Tumblr's NPF examples, Mastodon's and
Bluesky's documented posts): block order, photoset rows, a grid no taller than the screen, a
poll, an ask, an embedded quote, a self-thread as a column, right-to-left text."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from crosspost.backup.store import AccountBackup, BackupStore
from crosspost.model import Media, Platform, Post
from crosspost.platforms.bluesky.read import to_post as bluesky_post
from crosspost.platforms.mastodon.read import to_post as mastodon_post
from crosspost.platforms.tumblr.read import to_post as tumblr_post
from crosspost.view import SiteReport, render_site
from tests.browser import browser
from tests.fixtures import fixture_path
from tests.test_view_sample import T0, png, store_media

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

__all__ = ["browser"]  # the fixture, imported for pytest

NPF = "tumblr-docs/extracted/npf-spec.md_"
BSKY = "bsky-docs/extracted/advanced-guides_posts.md_"
DID = "did:plc:u5cwb2mwiv2bfq53cjufe6yn"  # the author of Bluesky's documented examples
QUOTED_URI = f"at://{DID}/app.bsky.feed.post/3k44deefqdk2g"  # what the documented quote quotes


def load(relative: str) -> Any:
    return json.loads(fixture_path(relative).read_text(encoding="utf-8"))


def with_stored_media(backup: AccountBackup, root: Path, post: Post) -> Post:
    """The post with each of its media downloaded into the backup (a distinct colour each)."""
    kept = []
    for number, media in enumerate(post.media):
        sha, local = store_media(backup, root, png((40 * number % 255, 120, 200)), "png")
        kept.append(
            Media(
                media.kind,
                media.url,
                media.alt,
                media.width,
                media.height,
                "image/png",
                sha256=sha,
                local_path=local,
            )
        )
    return post.with_changes(media=tuple(kept))


def tumblr_envelope(ident: str, content: list[Any], layout: list[Any], days: int) -> dict[str, Any]:
    return {
        "object_type": "post",
        "type": "blocks",
        "id_string": ident,
        "blog_name": "staff",
        "post_url": f"https://staff.tumblr.com/post/{ident}",
        "timestamp": int((T0 - timedelta(days=days)).timestamp()),
        "state": "published",
        "content": content,
        "layout": layout,
    }


def build(root: Path) -> None:
    store = BackupStore(root)
    tumblr = store.account(Platform.TUMBLR, "staff")
    rows = load(NPF + "L1292_layout-block-type-rows.json")  # two images in a row, then text
    image = rows["content"][0]
    posts = [
        tumblr_post(tumblr_envelope("1001", rows["content"], rows["layout"], 1), account="staff"),
        # Heading, image, text, as Tumblr's editor writes it (no layout: the blocks' order).
        tumblr_post(
            tumblr_envelope(
                "1002",
                [
                    {"type": "text", "subtype": "heading1", "text": "Heading first"},
                    image,
                    {"type": "text", "text": "Text after the image."},
                ],
                [],
                2,
            ),
            account="staff",
        ),
    ]
    # The documented four-row photoset, its empty image blocks given the documented image.
    photoset = copy.deepcopy(load(NPF + "L1345_layout-block-type-rows.json"))
    for block in photoset["content"]:
        if block["type"] == "image":
            block["media"] = image["media"]
    posts.append(
        tumblr_post(
            tumblr_envelope("1003", photoset["content"], photoset["layout"], 3), account="staff"
        )
    )
    ask = load(NPF + "L1535_layout-block-type-ask.json")["layout"]
    asked = [
        {"type": "text", "text": "What is your favourite colour?"},
        {"type": "text", "text": "(asking for a friend)"},
        {"type": "text", "text": "Blue, always."},
    ]
    posts.append(tumblr_post(tumblr_envelope("1004", asked, ask, 4), account="staff"))
    for post in posts:
        tumblr.save_post(with_stored_media(tumblr, root, post))

    mastodon = store.account(Platform.MASTODON, "alice@example.social")
    status = load("mastodon-docs/extracted/methods_statuses.md_L0488_delete-a-status_200.json")
    status["content"] = "<p>Which test?</p>"
    mastodon.save_post(mastodon_post(status, account="alice@example.social"))
    hebrew = {
        **status,
        "id": "900",
        "poll": None,
        "language": "he",
        "content": "<p>שלום עולם, זה פוסט בעברית</p>",
        "uri": status["uri"] + "0",
    }
    mastodon.save_post(mastodon_post(hebrew, account="alice@example.social"))
    hidden = {
        **status,
        "id": "901",
        "poll": None,
        "spoiler_text": "spoilers for the film",
        "content": "<p>the butler did it</p>",
        "uri": status["uri"] + "1",
    }
    mastodon.save_post(mastodon_post(hidden, account="alice@example.social"))
    card = load("mastodon-docs/extracted/entities_PreviewCard.md_L0023_examples.json")
    linked = mastodon_post(
        {
            **status,
            "id": "902",
            "poll": None,
            "card": card,
            "uri": status["uri"] + "2",
            "content": "<p>a link worth keeping</p>",
        },
        account="alice@example.social",
    )
    assert linked.link_card is not None
    sha, local = store_media(mastodon, root, png((10, 200, 10)), "png")
    thumb = replace(linked.link_card, thumb_local_path=local, thumb_sha256=sha)
    mastodon.save_post(linked.with_changes(link_card=thumb))
    for number in range(105):  # more than one page of search results
        many = {
            **status,
            "id": f"{1000 + number}",
            "poll": None,
            "uri": f"{status['uri']}/{number}",
            "content": f"<p>needle number {number}</p>",
        }
        mastodon.save_post(mastodon_post(many, account="alice@example.social"))

    bluesky = store.account(Platform.BLUESKY, DID)
    uri = f"at://{DID}/app.bsky.feed.post/"
    quoted = load(BSKY + "L0015_post-record-structure.json")
    bluesky.save_post(bluesky_post(quoted, account=DID, uri=QUOTED_URI))
    quote = load(BSKY + "L0307_quote-posts.json")
    bluesky.save_post(bluesky_post(quote, account=DID, uri=uri + "3kquote"))
    images = copy.deepcopy(load(BSKY + "L0394_images-embeds.json"))
    images["embed"]["images"] *= 2  # four images, the most a Bluesky post takes
    bluesky.save_post(
        with_stored_media(bluesky, root, bluesky_post(images, account=DID, uri=uri + "3kfour"))
    )
    arabic = {**quoted, "text": "مرحبا بالعالم، هذا منشور باللغة العربية"}  # no langs given
    bluesky.save_post(bluesky_post(arabic, account=DID, uri=uri + "3karabic"))
    # A self-thread of four, each answering the one before (Bluesky's documented reply shape).
    reply = load(BSKY + "L0234_replies.json")
    parent = root_ref = {"uri": uri + "3kt0", "cid": reply["reply"]["root"]["cid"]}
    bluesky.save_post(
        bluesky_post(
            {**quoted, "text": "thread 0", "createdAt": "2023-08-07T06:00:00Z"},
            account=DID,
            uri=root_ref["uri"],
        )
    )
    for number in range(1, 4):
        record = {
            **reply,
            "text": f"thread {number}",
            "reply": {"root": root_ref, "parent": parent},
            "createdAt": f"2023-08-07T06:0{number}:00Z",
        }
        own = f"{uri}3kt{number}"
        bluesky.save_post(bluesky_post(record, account=DID, uri=own))
        parent = {"uri": own, "cid": reply["reply"]["root"]["cid"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> SiteReport:
    root = tmp_path_factory.mktemp("faithful")
    build(root)
    return render_site(root, root.parent / "faithful-site")


def open_post(driver: WebDriver, report: SiteReport, words: str) -> None:
    """Opens the page of the post whose card holds these words (found on the index pages)."""
    for page in sorted(report.out.glob("posts/*.html")):
        if words in page.read_text(encoding="utf-8"):
            driver.get(page.resolve().as_uri())
            return
    raise AssertionError(f"no post page holds {words!r}")


def test_blocks_keep_their_order(browser: WebDriver, site: SiteReport) -> None:
    open_post(browser, site, "Heading first")
    order = browser.execute_script(
        "var a = document.querySelector('main article.post');"
        "return Array.from(a.querySelectorAll('div.text, div.media'))"
        ".map(e => e.classList.contains('media') ? 'image' : e.textContent.trim());"
    )
    assert order == ["Heading first", "image", "Text after the image."]


def test_a_photoset_shows_its_rows_side_by_side(browser: WebDriver, site: SiteReport) -> None:
    open_post(browser, site, "Cool pics of Tambler HQ")
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('main article.post div.media'))"
        ".map(m => Array.from(m.querySelectorAll('img')).map(i => Math.round("
        "i.getBoundingClientRect().top)));"
    )
    assert [len(row) for row in rows] == [2, 3]
    assert all(len(set(row)) == 1 for row in rows)  # each row's images side by side
    text = browser.find_element("css selector", "main article.post").text
    assert text.index("Cool pics") < text.index("Everybody loves") < text.index("that's all")


def test_a_four_image_post_fits_one_screen(browser: WebDriver, site: SiteReport) -> None:
    browser.set_window_size(1280, 800)
    try:
        open_post(browser, site, "example post with multiple images attached")
        found = browser.execute_script(
            "var m = document.querySelector('main article.post div.media');"
            "return [m.querySelectorAll('img').length, m.getBoundingClientRect().height,"
            " window.innerHeight];"
        )
    finally:
        browser.set_window_size(1000, 900)
    images, height, viewport = found
    assert images == 4
    assert 0 < height <= viewport


def test_a_poll_shows_its_options_and_counts(browser: WebDriver, site: SiteReport) -> None:
    open_post(browser, site, "Which test?")
    poll = browser.find_element("css selector", "main article.post div.poll")
    assert "test 1" in poll.text
    assert "1 vote" in poll.text
    assert "100%" in poll.text
    assert "1 person voted" in poll.text
    page = browser.find_element("css selector", "main").text
    assert "not shown" not in page
    assert "exist only on" not in page


def test_an_ask_shows_the_question_above_the_answer(browser: WebDriver, site: SiteReport) -> None:
    open_post(browser, site, "Blue, always.")
    text = browser.find_element("css selector", "main article.post").text
    assert "https://cyle.tumblr.com asked:" in text
    assert text.index("favourite colour") < text.index("Blue, always.")
    assert "not shown" not in text


def test_a_quote_embeds_the_quoted_post(browser: WebDriver, site: SiteReport) -> None:
    open_post(browser, site, "example of a quote-post")
    article = browser.find_element("css selector", "main article.post")
    quoted = article.find_element("css selector", "blockquote.quoted")
    assert "Hello World!" in quoted.text
    assert "quoting did:plc" not in article.text


def test_a_self_thread_is_one_column(browser: WebDriver, site: SiteReport) -> None:
    open_post(browser, site, "thread 3")
    browser.find_element("link text", "the conversation").click()
    lefts = browser.execute_script(
        "return Array.from(document.querySelectorAll('ol.thread > li'))"
        ".map(li => Math.round(li.getBoundingClientRect().left));"
    )
    assert len(lefts) == 4
    assert len(set(lefts)) == 1
    target = browser.execute_script(
        "var li = document.querySelector(location.hash); var r = li.getBoundingClientRect();"
        "return [li.textContent.includes('thread 3'), r.top >= 0 && r.top < window.innerHeight];"
    )
    assert target == [True, True]  # the post followed is the one in view


def test_right_to_left_posts_are_marked(browser: WebDriver, site: SiteReport) -> None:
    open_post(browser, site, "שלום עולם")
    text = browser.find_element("css selector", "main article.post div.text")
    assert text.get_attribute("lang") == "he"
    assert text.get_attribute("dir") == "rtl"
    assert browser.execute_script("return getComputedStyle(arguments[0]).direction", text) == "rtl"
    assert browser.execute_script("return document.documentElement.lang") == "en"
    open_post(browser, site, "مرحبا بالعالم")  # no language stored: told from the letters
    text = browser.find_element("css selector", "main article.post div.text")
    assert text.get_attribute("dir") == "rtl"
    assert not browser.execute_script("return arguments[0].hasAttribute('lang')", text)


def search(driver: WebDriver, report: SiteReport, words: str) -> list[str]:
    from tests.test_view_browser import wait_for

    driver.get((report.out / "search.html").resolve().as_uri() + "?q=" + words)
    status = driver.find_element("css selector", "#search-status")
    wait_for(lambda: "found" in status.text)
    return [li.text for li in driver.find_elements("css selector", "#results li")]


def test_search_never_shows_words_behind_a_warning(browser: WebDriver, site: SiteReport) -> None:
    found = search(browser, site, "butler")
    assert len(found) == 1  # still found by its words
    assert "CW: spoilers for the film" in found[0]
    assert "butler" not in found[0]


def test_search_results_go_on_past_one_hundred(browser: WebDriver, site: SiteReport) -> None:
    assert len(search(browser, site, "needle")) == 100
    assert "105 posts found" in browser.find_element("css selector", "#search-status").text
    browser.find_element("css selector", "#more-results").click()
    assert len(browser.find_elements("css selector", "#results li")) == 105
    assert not browser.find_elements("css selector", "#more-results")


def test_a_link_card_shows_its_stored_thumbnail(browser: WebDriver, site: SiteReport) -> None:
    open_post(browser, site, "a link worth keeping")
    thumb = browser.find_element("css selector", "main article.post .card img.thumb")
    assert (thumb.get_attribute("src") or "").startswith("file:")
    loaded = "return arguments[0].complete && arguments[0].naturalWidth"
    assert browser.execute_script(loaded, thumb) == 64
