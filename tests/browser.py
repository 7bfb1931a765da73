"""Drive Debian's headless Chromium through its chromedriver (Python selenium), offline.

`browser` is a session fixture: it skips, saying why, when chromium or chromedriver is missing,
unless CROSSPOST_REQUIRE_BROWSER=1 (CI), where a missing browser fails the run instead. Install
both with `.ci/setup-browser.sh`. Selenium is given the driver's path, so it never tries to
download one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

# Read at import: the autouse fixture in conftest.py clears CROSSPOST_* variables for each test.
REQUIRE = os.environ.get("CROSSPOST_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CROSSPOST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Without the networking flags Chromium phones home at start; this machine has no network.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for name, path in (("chromium", CHROMIUM), ("chromedriver", DRIVER)):
        if not Path(path).is_file():
            return f"{name} not found at {path}: run .ci/setup-browser.sh"
    return None


def skip_or_fail(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"CROSSPOST_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def start_chromium(width: int = 1000, height: int = 900) -> WebDriver:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='crosspost-chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(DRIVER))


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """A headless Chromium (selenium WebDriver) shared by the tests of one session."""
    problem = browser_problem()
    if problem:
        skip_or_fail(problem)
    driver = start_chromium()
    try:
        yield driver
    finally:
        driver.quit()
