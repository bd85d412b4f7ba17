"""The browser for the browser tests: Debian's chromium through playwright, with axe-core in every page.

`chromium` is the browser; every context a test opens with `chromium.new_context(...)` runs
axe-core (WCAG 2.1 A and AA) in each of its pages after every load and htmx swap, and once more
when it closes, and the test fails on any violation. `page` is one such page, signed in as nobody,
that also fails the test on a script error or a content security policy violation.

Nothing is ever downloaded (no `playwright install`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

from clinicdesk.tests.browser.accessibility import AxeWatch

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def launched_chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing. Browser tests drive Debian's chromium: `apt-get install chromium`. "
            "They never download a browser (`playwright install`) and never skip.",
            pytrace=False,
        )
    # playwright's sync API keeps an asyncio event loop running in this thread, and Django refuses
    # ORM calls from a thread with a running loop. The test's own database work between clicks is
    # synchronous, so allow it, but only while the browser runs: other tests keep the guard.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def axe() -> AxeWatch:
    """What axe-core found in the pages of this test (`axe.check_page(page)` checks one now)."""
    return AxeWatch()


@pytest.fixture
def chromium(launched_chromium: Browser, axe: AxeWatch) -> Iterator[Browser]:
    """The browser, whose every new context is checked by axe-core; the test fails on a violation."""
    watch = axe
    opened: list[BrowserContext] = []
    new_context = launched_chromium.new_context

    def checked_context(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        watch.attach(context)
        opened.append(context)
        return context

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(launched_chromium, "new_context", checked_context)
        yield launched_chromium
    for context in opened:  # contexts the test left open are checked as the test left them
        if context.browser is not None and context in launched_chromium.contexts:
            context.close()
    report = watch.report()
    if report:
        pytest.fail(report, pytrace=False)
    assert watch.runs > 0 or not opened, "axe-core never ran in the pages this test opened"


@pytest.fixture
def page(chromium: Browser, live_app) -> Iterator[Page]:
    context = chromium.new_context(base_url=live_app.url, viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    # A CSP violation or a script error is a broken page even when it looks fine.
    broken: list[str] = []
    page.on("pageerror", lambda exc: broken.append(f"script error: {exc}"))
    page.on(
        "console",
        lambda msg: broken.append(f"{page.url}: {msg.text}") if "Content Security Policy" in msg.text else None,
    )
    yield page
    context.close()
    assert broken == [], broken
