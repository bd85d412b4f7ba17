"""What the browser tests share that is not a fixture (the fixtures are in conftest.py): signing in,
the screenshot camera with its accessibility and overflow checks, label patterns, the audit table,
and a clinic time zone where it is office hours now."""

from __future__ import annotations

import re
import time
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pyotp
from playwright.sync_api import Page, ViewportSize, expect

from clinicdesk.accounts.models import User
from clinicdesk.tests.browser.conftest import DESKTOP
from conftest import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
TABLET: ViewportSize = {"width": 768, "height": 1024}

# The house's own checks of every photographed page, beside axe-core's (one <h1> is ours alone).
BASIC_A11Y = """
() => {
  const problems = [];
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : el.name ? "[name=" + el.name + "]" : "");
  if (!(document.documentElement.getAttribute("lang") || "").trim()) problems.push("<html> has no lang");
  if (!document.title.trim()) problems.push("the page has no <title>");
  const h1s = document.querySelectorAll("h1");
  if (h1s.length !== 1) problems.push(h1s.length + " <h1> elements instead of one");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const labelled = [...(el.labels || [])].some((l) => l.textContent.trim())
      || (el.getAttribute("aria-label") || "").trim()
      || (el.getAttribute("aria-labelledby") || "").split(/\\s+/).some((id) => id && document.getElementById(id));
    if (!labelled) problems.push(describe(el) + " has no label");
    for (const id of (el.getAttribute("aria-describedby") || "").split(/\\s+/)) {
      if (id && !document.getElementById(id)) problems.push(describe(el) + " is described by missing #" + id);
    }
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    const name = (el.innerText || "").trim() || (el.getAttribute("aria-label") || "").trim();
    if (!name) problems.push(describe(el) + " has no accessible name");
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(describe(img) + " has no alt text");
  }
  return problems;
}
"""


# Problems in templates this test does not own, reported to their owners. Each entry must still
# occur (the first-day test checks), so a fix fails the test until the entry is removed here.
KNOWN_PROBLEMS: set[str] = set()
seen_known_problems: set[str] = set()


def unexpected(problems: list[str]) -> list[str]:
    left = []
    for problem in problems:
        known = [pattern for pattern in KNOWN_PROBLEMS if re.fullmatch(pattern, problem)]
        seen_known_problems.update(known)
        if not known:
            left.append(problem)
    return left


class Camera:
    """Screenshots in the order they are taken, at both widths, with the accessibility check."""

    def __init__(self, page: Page, prefix: str) -> None:
        self.page = page
        self.prefix = prefix
        self.count = 0
        ARTIFACTS.mkdir(exist_ok=True)

    def shoot(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        problems = unexpected(page.evaluate(BASIC_A11Y))
        assert problems == [], f"accessibility problems on {page.url}: {problems}"
        self.count += 1
        stem = f"{self.prefix}-{self.count:02d}-{name}"
        page.screenshot(path=ARTIFACTS / f"{stem}-1280.png", full_page=True)
        page.set_viewport_size(TABLET)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        page.screenshot(path=ARTIFACTS / f"{stem}-768.png", full_page=True)
        page.set_viewport_size(DESKTOP)
        assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at tablet width"


def fresh_code(secret: str) -> str:
    """The current TOTP code, waiting out the last seconds of a period so it is still valid when posted."""
    totp = pyotp.TOTP(secret)
    left = totp.interval - time.time() % totp.interval
    if left < 4:
        time.sleep(left + 0.5)
    return totp.now()


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/account/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", password)
    # The header holds a Sign-out form too when someone is signed in; use the one in <main>.
    page.locator("main").get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.locator("header").get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")
    if "/account/logout/" in page.url:  # allauth's confirmation page, if it ever asks
        page.locator("main").get_by_role("button", name=re.compile("sign out", re.I)).click()
    expect(page).to_have_url(re.compile(r"/account/login/"))
    expect(page.locator("header")).not_to_contain_text("Sign out")


def enrol_mfa(page: Page, camera: Camera, *, password: str) -> str:
    """Walk the forced enrolment: password again, scan (read) the secret, type a code. Returns the secret."""
    expect(page).to_have_url(re.compile(r"/account/reauthenticate/"))
    camera.shoot("reauthenticate")
    page.get_by_label("Password").fill(password)
    page.locator("main").get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/account/2fa/totp/activate/$"))
    expect(page.locator("main img[src^='data:image/svg+xml']")).to_be_visible()
    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    camera.shoot("activate-totp")
    page.get_by_label("Authenticator code").fill(fresh_code(secret))
    page.locator("main").get_by_role("button", name="Activate").click()

    expect(page).to_have_url(re.compile(r"/account/2fa/recovery-codes/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Recovery codes", re.I))
    codes = page.get_by_label("Your unused codes").input_value().split()
    assert len(codes) == 10 and len(set(codes)) == 10
    camera.shoot("recovery-codes")
    page.get_by_role("link", name=re.compile("I have saved them")).click()
    expect(page).to_have_url(re.compile(r"/$"))
    return secret


def labelled(text: str) -> re.Pattern[str]:
    """A label exactly `text` in any case, perhaps followed by the required-field star."""
    return re.compile(rf"^{re.escape(text)}(\s*\*)?$", re.I)


def audit_rows(page: Page) -> list[dict[str, str]]:
    """The rendered audit table as dicts keyed by its column headings."""
    table = page.locator("table.audit-table")
    headings = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    cells = table.locator("tbody tr").evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")
    return [dict(zip(headings, row, strict=True)) for row in cells]


def find(rows: list[dict[str, str]], **want: str) -> list[dict[str, str]]:
    """Rows whose columns contain every given text (column names as in the table: Person, Action, ...)."""
    columns = {"person": "Person", "action": "Action", "what": "What", "detail": "Why / detail", "outcome": "Outcome"}
    return [row for row in rows if all(text in row[columns[key]] for key, text in want.items())]


class DesktopCamera(Camera):
    """The first-day camera, which also refuses a page that scrolls sideways at desktop width."""

    def shoot(self, name: str) -> None:
        overflow = self.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{self.page.url} scrolls sideways by {overflow}px at desktop width"
        super().shoot(name)


# Ordered so that New York (the practice's default zone) is used whenever it fits.
ZONES = ("America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Pacific/Guam", "Asia/Kolkata", "Europe/London")
OPENS, CLOSES = clock_time(7), clock_time(21)


def clinic_zone(now: datetime) -> ZoneInfo:
    """The first of ZONES where it is between 08:00 and 16:00 at `now`."""
    for name in ZONES:
        if 8 <= now.astimezone(ZoneInfo(name)).hour < 16:
            return ZoneInfo(name)
    raise AssertionError(f"no zone of {ZONES} is between 08:00 and 16:00 at {now:%H:%M} UTC")  # pragma: no cover


def sign_in_with_code(page: Page, user: User, secret: str) -> None:
    sign_in(page, user.username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/account/2fa/authenticate/$"))
    page.get_by_label("Code").fill(fresh_code(secret))
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(user.display_name)
