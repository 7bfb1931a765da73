"""End to end in headless Chromium: the site opens from file://, shows posts, media, tags and
search, loads nothing from the network, and no payload hidden in a post can run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from crosspost.account_data import Collection, Entry, Person, Profile, ProfileField
from crosspost.backup.account_files import save_collection, save_profile
from crosspost.backup.store import BackupStore
from crosspost.model import (
    LinkCard,
    Media,
    MediaKind,
    Platform,
    Post,
    PostRef,
    RichText,
    Span,
    SpanKind,
)
from crosspost.view import SiteReport, render_site
from tests.browser import browser
from tests.test_view_accounts import ALICE, ALICE_DID, BOB_DID, DAN_DID, build_accounts
from tests.test_view_media import hostile_media
from tests.test_view_sample import ALT, T0, build_sample, png, store_media

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

__all__ = ["browser"]  # the fixture, imported for pytest

# Each payload, if it ever ran, would set window.__xss or open a dialog.
PAYLOADS = (
    "<script>window.__xss=1;alert(1)</script>",
    '<img src=x onerror="window.__xss=1;alert(1)">',
    '"><img src=x onerror=window.__xss=1>',
    "'><svg onload=window.__xss=1>",
    "javascript:window.__xss=1",
    "</title><script>window.__xss=1</script>",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<a href="javascript:window.__xss=1">click</a>',
    "<details open ontoggle=window.__xss=1>",
    '<style>@import "https://evil.example/x.css";</style>',
    "\u2028</script><script>window.__xss=1</script>",
    "${window.__xss=1}{{constructor.constructor('window.__xss=1')()}}",
    '<img src="https://evil.example/track.png">',
)
HOSTILE_ACCOUNT = '<img src=x onerror="window.__xss=1">'


def hostile_posts(root: Path) -> None:
    """Posts carrying the payloads in every field a page shows."""
    store = BackupStore(root)
    backup = store.account(Platform.MASTODON, HOSTILE_ACCOUNT)
    sha, local = store_media(backup, root, png((20, 90, 200)), "png")
    for number, payload in enumerate(PAYLOADS):
        text = f"xss {number} {payload} end"
        start = text.index(payload)
        spans = (
            Span(start, start + len(payload), SpanKind.LINK, payload),
            Span(0, 3, SpanKind.MENTION, payload),
            Span(0, 3, SpanKind.TAG, payload),
        )
        ref = PostRef(Platform.MASTODON, HOSTILE_ACCOUNT, f"x{number}", payload)
        post = Post(
            ref,
            T0 - timedelta(days=number + 1),
            RichText(text, spans),
            title=payload,
            tags=(payload, f"xss{number}"),
            content_warning=payload if number % 2 else "",
            media=(
                Media(MediaKind.IMAGE, payload, alt=payload, sha256=sha, local_path=local),
                Media(MediaKind.IMAGE, "https://evil.example/i.png", alt=payload),
                Media(MediaKind.VIDEO, payload, alt=payload, mime=payload),
            ),
            link_card=LinkCard(payload, payload, payload, thumb_url="https://evil.example/t.png"),
            trail=(Post(replace(ref, id=f"q{number}", account=payload), T0, RichText(payload)),),
        )
        backup.save_post(post)


def hostile_profile(root: Path) -> None:
    """The hostile account's profile and collections, carrying the payloads."""
    backup = BackupStore(root).account(Platform.MASTODON, HOSTILE_ACCOUNT)
    sha, local = store_media(backup, root, png((200, 90, 20)), "png")
    joined = " ".join(PAYLOADS)
    profile = Profile(
        Platform.MASTODON,
        HOSTILE_ACCOUNT,
        HOSTILE_ACCOUNT,
        display_name=joined,
        bio=joined,
        bio_html=f"<p>{joined}</p>",
        fields=tuple(ProfileField(payload, payload) for payload in PAYLOADS),
        avatar=Media(MediaKind.IMAGE, PAYLOADS[0], alt=joined, sha256=sha, local_path=local),
        url=PAYLOADS[4],
        title=joined,
        theme={"background_color": PAYLOADS[9], "title_color": PAYLOADS[1]},
        counts={payload: payload for payload in PAYLOADS},
    )
    save_profile(backup, replace(profile, display_name="before"), T0)
    save_profile(backup, profile, T0 + timedelta(days=1))
    people = tuple(
        Person(p, p, p, url=p, avatar_url="https://evil.example/a.png") for p in PAYLOADS
    )
    ref = PostRef(Platform.MASTODON, HOSTILE_ACCOUNT, "liked", PAYLOADS[4])
    liked = Post(ref, T0, RichText(joined), title=joined)
    collections = {
        Collection.LIKES: [Entry("1", T0, ref, liked), Entry("2", T0, replace(ref, id="gone"))],
        Collection.FOLLOWERS: [Entry(str(n), T0, person=p) for n, p in enumerate(people)],
        Collection.LISTS: [Entry("l", T0, name=joined, description=joined, members=people)],
    }
    for kind, entries in collections.items():
        save_collection(backup, kind, entries, T0, complete=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> SiteReport:
    root = tmp_path_factory.mktemp("backup")
    build_sample(root)
    hostile_posts(root)
    hostile_profile(root)
    return render_site(root, root.parent / "site", per_page=5)


@pytest.fixture(scope="module")
def accounts_site(tmp_path_factory: pytest.TempPathFactory) -> SiteReport:
    root = tmp_path_factory.mktemp("accounts")
    build_accounts(root)
    return render_site(root, root.parent / "accounts-site")


def url(report: SiteReport, page: str) -> str:
    return (report.out / page).resolve().as_uri()


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the page did not get there in time")
        time.sleep(0.05)  # a real browser's clock, not ours to inject


def assert_nothing_ran(driver: WebDriver, page: str) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        text = None
    assert text is None, f"{page}: a dialog opened ({text!r})"
    found = driver.execute_script(
        "return [window.__xss, window.top.__xss,"
        " Array.from(document.querySelectorAll('*')).flatMap(e => Array.from(e.attributes)"
        "   .filter(a => a.name.startsWith('on')).map(a => e.tagName + '.' + a.name)),"
        " Array.from(document.querySelectorAll('a[href]')).filter(a => !/^(https?|mailto|file):$/"
        "   .test(a.protocol)).map(a => a.href),"
        " Array.from(document.scripts).map(s => s.src).filter(s => !s.startsWith('file:')),"
        " document.querySelectorAll('iframe, object, embed, svg, style, base, form:not([role])')"
        "   .length,"
        " performance.getEntriesByType('resource').map(r => r.name)"
        "   .filter(n => !n.startsWith('file:'))]"
    )
    assert found == [None, None, [], [], [], 0, []], f"{page}: {found}"


def console_problems(driver: WebDriver) -> list[str]:
    """The browser's errors since the last call (reading the log empties it)."""
    log = driver.get_log("browser")  # type: ignore[no-untyped-call]  # selenium: unannotated
    return [entry["message"] for entry in log if entry["level"] == "SEVERE"]


def test_the_index_lists_the_newest_posts(browser: WebDriver, site: SiteReport) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url(site, "index.html"))
    assert browser.title == "crosspost archive"
    articles = browser.find_elements(By.CSS_SELECTOR, "main > article.post")
    assert len(articles) == 5
    assert "my comment on the reblog" in articles[0].text  # the newest post comes first
    older = browser.find_element(By.LINK_TEXT, "Older →")
    older.click()
    assert browser.current_url.endswith(".html")
    assert "/page/" in browser.current_url
    assert console_problems(browser) == []


def test_a_post_page_shows_its_image_and_alt_text(browser: WebDriver, site: SiteReport) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url(site, "tags/painting.html"))
    browser.find_element(By.CSS_SELECTOR, "article a.when").click()
    assert "/posts/" in browser.current_url
    image = browser.find_element(By.CSS_SELECTOR, "main > article figure img")
    assert image.get_attribute("alt") == ALT
    assert browser.execute_script("return arguments[0].naturalWidth", image) == 64
    src = image.get_attribute("src")
    assert src is not None
    assert src.startswith("file://")
    assert ALT in browser.find_element(By.CSS_SELECTOR, "main > article figcaption").text
    # The conversation is a page of its own, opened at this post.
    browser.find_element(By.CSS_SELECTOR, "main > article footer a.thread").click()
    assert "/threads/" in browser.current_url
    thread = browser.find_elements(By.CSS_SELECTOR, "#conversation li")
    assert len(thread) == 3
    here = browser.find_element(By.CSS_SELECTOR, "#conversation li:target")
    assert here == thread[0]
    assert ALT in here.text
    assert console_problems(browser) == []


def test_a_tag_page_lists_its_posts(browser: WebDriver, site: SiteReport) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url(site, "tags.html"))
    browser.find_element(By.CSS_SELECTOR, "a[href='tags/art.html']").click()
    assert browser.find_element(By.TAG_NAME, "h1").text.casefold() == "#art"
    assert len(browser.find_elements(By.CSS_SELECTOR, "main > article.post")) == 2


def test_search_finds_posts_from_the_page_and_the_header(
    browser: WebDriver, site: SiteReport
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(url(site, "search.html"))
    box = browser.find_element(By.ID, "q")
    box.send_keys("twist")

    def results() -> list[WebElement]:
        return browser.find_elements(By.CSS_SELECTOR, "#results li a")

    wait_for(lambda: len(results()) == 1)
    results()[0].click()
    assert "The ending was a twist" in browser.page_source
    header = browser.find_element(By.CSS_SELECTOR, "header.site input[name=q]")
    header.send_keys("#cats", Keys.ENTER)
    wait_for(lambda: "search.html" in browser.current_url and len(results()) == 1)
    assert "1 post found" in browser.find_element(By.ID, "search-status").text


def test_search_loads_its_chunks_only_when_a_search_begins(
    browser: WebDriver, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    from tests.test_view_threads import self_thread

    self_thread(tmp_path / "b", 1005)  # two chunks of the index; "猫の話" in every post
    report = render_site(tmp_path / "b", tmp_path / "site")
    browser.get(url(report, "search.html"))
    status = browser.find_element(By.ID, "search-status")
    wait_for(lambda: "1005 posts to search" in status.text)
    loaded = "return Array.from(document.scripts).map(s => s.src)"
    browser.find_element(By.ID, "q").send_keys("猫の話 post 1004")
    wait_for(lambda: "1 post found" in status.text)
    assert sum("/assets/search/" in n for n in browser.execute_script(loaded)) == 2
    browser.get(url(report, "search.html") + "?q=" + "猫の話")
    wait_for(lambda: "1005 posts found" in browser.find_element(By.ID, "search-status").text)
    results = browser.find_elements(By.CSS_SELECTOR, "#results li a")
    assert len(results) == 100
    assert "post 1004" in browser.find_elements(By.CSS_SELECTOR, "#results .snippet")[0].text
    results[0].click()
    assert "post 1004 猫の話" in browser.find_element(By.TAG_NAME, "main").text
    assert console_problems(browser) == []


def test_no_payload_runs_on_any_page(browser: WebDriver, site: SiteReport) -> None:
    pages = sorted(p.relative_to(site.out).as_posix() for p in site.out.rglob("*.html"))
    assert len(pages) > 40
    for page in pages:
        browser.get(url(site, page))
        for details in browser.find_elements("css selector", "details"):
            browser.execute_script("arguments[0].open = true", details)
        assert_nothing_ran(browser, page)
    assert console_problems(browser) == []


@pytest.fixture(scope="module")
def media_site(tmp_path_factory: pytest.TempPathFactory) -> SiteReport:
    root = tmp_path_factory.mktemp("media")
    build_sample(root)
    hostile_posts(root)
    hostile_media(root)
    return render_site(root, root.parent / "media-site")


def local_targets(driver: WebDriver) -> list[str]:
    """Every file:// address the page links to or embeds, without its #fragment."""
    found: list[str] = driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href], [src]'))"
        "  .map(e => e.href || e.src).filter(u => u.startsWith('file:'))"
        "  .map(u => u.split('#')[0])"
    )
    return found


def test_nothing_runs_when_any_link_or_image_is_opened_directly(
    browser: WebDriver, media_site: SiteReport
) -> None:
    """A click on an image opens its file as a page of its own, where the site's policy does
    not apply: no file the site links to or embeds may be a document that runs anything."""
    pages = sorted(p.resolve().as_uri() for p in media_site.out.rglob("*.html"))
    targets: set[str] = set()
    for page in pages:
        browser.get(page)
        targets.update(local_targets(browser))
    files = sorted(t for t in targets if not t.endswith(".html"))
    assert any("/media/" in t for t in files)
    for target in files:
        browser.get(target)
        time.sleep(0.05)  # an onload or a script in the file would have run by now
        assert_nothing_ran(browser, target)
    console_problems(browser)  # a media file's own decoding errors are not the site's


def test_no_payload_runs_in_search_results(browser: WebDriver, site: SiteReport) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url(site, "search.html") + "?q=xss")
    wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#results li")) == len(PAYLOADS))
    assert_nothing_ran(browser, "search.html?q=xss")
    assert console_problems(browser) == []


def visible_dids(driver: WebDriver) -> list[str]:
    """The DIDs a page shows as words, leaving out the one a profile writes beside the handle."""
    text = driver.execute_script(
        "const main = document.querySelector('main').cloneNode(true);"
        "main.querySelectorAll('code.id').forEach(e => e.remove());"
        "return main.innerText"
    )
    return [did for did in (ALICE_DID, BOB_DID, DAN_DID) if did in text]


def test_the_owner_is_shown_by_handle_and_avatar_never_by_did(
    browser: WebDriver, accounts_site: SiteReport
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url(accounts_site, "index.html"))
    mine = [
        a
        for a in browser.find_elements(By.CSS_SELECTOR, "article.post > header a.who")
        if a.text == f"@{ALICE}"
    ]
    assert len(mine) >= 4  # her posts, saved under her DID
    avatar = browser.find_element(By.CSS_SELECTOR, "article.post > header img.avatar")
    assert browser.execute_script("return arguments[0].naturalWidth", avatar) == 40
    assert "@bob.bsky.social" in browser.find_element(By.TAG_NAME, "main").text
    assert visible_dids(browser) == []

    browser.find_element(By.LINK_TEXT, "Accounts").click()
    browser.find_element(By.LINK_TEXT, f"@{ALICE}").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Alice Painter"
    assert browser.find_element(By.CSS_SELECTOR, ".profile .handle .who").text == f"@{ALICE}"
    assert browser.find_element(By.CSS_SELECTOR, ".profile code.id").text == ALICE_DID
    for css in ("img.avatar.large", "img.banner"):
        image = browser.find_element(By.CSS_SELECTOR, css)
        assert browser.execute_script("return arguments[0].naturalWidth", image) == 40

    pages = sorted(
        p.relative_to(accounts_site.out).as_posix() for p in accounts_site.out.rglob("*.html")
    )
    assert len(pages) > 15
    for page in pages:
        browser.get(url(accounts_site, page))
        assert visible_dids(browser) == [], page
        assert_nothing_ran(browser, page)
    assert console_problems(browser) == []


def test_the_checks_see_a_payload_that_runs(browser: WebDriver, tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text('<img src="nowhere.png" onerror="window.__xss=1">', encoding="utf-8")
    browser.get(page.as_uri())
    wait_for(lambda: browser.execute_script("return window.__xss") == 1)
    with pytest.raises(AssertionError, match=r"bad\.html"):
        assert_nothing_ran(browser, "bad.html")
    console_problems(browser)  # the missing image's error is this test's, not the next one's
