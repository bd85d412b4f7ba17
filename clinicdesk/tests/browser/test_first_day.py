"""The first day of a practice, clicked through in a real browser.

Dana, the office manager, signs in for the first time, is made to enrol two-factor
authentication and creates an account for Luis at the front desk. Luis signs in, enrols too,
and is refused the audit report. The privacy officer then finds all of it in the audit report,
filters it to Luis and downloads it as CSV.

The browser is the one of this folder's conftest, whose axe-core checks every page against WCAG
2.1 A/AA. Each step is photographed at desktop (1280 px) and tablet (768 px) width into
test-artifacts/ for a person to look at, with house checks axe does not make (one <h1>, no
sideways scrolling at tablet width, no script errors or CSP violations).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, AuditEvent, Outcome
from clinicdesk.core.capabilities import Role
from clinicdesk.tests.browser.helpers import (
    KNOWN_PROBLEMS,
    Camera,
    audit_rows,
    enrol_mfa,
    find,
    fresh_code,
    labelled,
    seen_known_problems,
    sign_in,
    sign_out,
)
from conftest import PASSWORD, enrol_totp, make_staff

pytestmark = pytest.mark.browser

LUIS_PASSWORD = "front desk first day 2718"


def test_the_first_day_of_the_practice(page: Page):
    camera = Camera(page, "first-day")
    make_staff("dana", Role.OFFICE_MANAGER, display_name="Dana Whitfield")

    # 1-2. Dana signs in for the first time and is sent to enrol two-factor authentication.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/account/login/"))
    camera.shoot("login")
    sign_in(page, "dana", PASSWORD)
    enrol_mfa(page, camera, password=PASSWORD)
    assert Authenticator.objects.filter(user__username="dana", type=Authenticator.Type.TOTP).count() == 1

    # 3. Staff -> Add a staff member.
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Staff", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff")
    camera.shoot("staff-list")
    page.get_by_role("link", name="Add a staff member").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a staff member")
    page.get_by_label("Username").fill("luis")
    page.get_by_label("Full name").fill("Luis Moreno")
    page.get_by_label("Role").select_option(label="Front desk")
    page.get_by_label("Temporary password").fill(LUIS_PASSWORD)
    camera.shoot("staff-create")
    page.locator("main").get_by_role("button", name="Create account").click()

    luis = User.objects.get(username="luis")
    expect(page).to_have_url(re.compile(rf"/staff/{luis.public_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Luis Moreno")
    expect(page.locator("main")).to_contain_text("Account luis created")
    expect(page.locator("main .facts")).to_contain_text("Front desk")
    expect(page.locator("main .facts")).to_contain_text("Not enrolled yet")
    assert (luis.role, luis.is_active, luis.check_password(LUIS_PASSWORD)) == (Role.FRONT_DESK, True, True)
    camera.shoot("staff-detail")

    # 4. She signs out.
    sign_out(page)

    # 5. Luis signs in, enrols, and is refused the audit report; the navigation never offers it.
    sign_in(page, "luis", LUIS_PASSWORD)
    enrol_mfa(page, camera, password=LUIS_PASSWORD)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Luis Moreno")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Home")).to_be_visible()
    expect(nav.get_by_role("link", name="Audit report", exact=True)).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Audit report")
    camera.shoot("front-desk-home")
    refused = page.goto("/audit/")
    assert refused is not None and refused.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page")
    expect(nav.get_by_role("link", name="Audit report", exact=True)).to_have_count(0)
    camera.shoot("front-desk-refused")
    sign_out(page)

    # 6. The privacy officer signs in with her authenticator and reads the whole story.
    secret = enrol_totp(make_staff("audra", Role.AUDITOR, display_name="Audra Kim"))
    sign_in(page, "audra", PASSWORD)
    expect(page).to_have_url(re.compile(r"/account/2fa/authenticate/$"))
    camera.shoot("mfa-authenticate")
    page.get_by_label("Code").fill(fresh_code(secret))
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Audra Kim")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit report", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit report")
    camera.shoot("audit-report")

    rows = audit_rows(page)
    assert len(rows) == AuditEvent.objects.count()
    assert find(rows, person="dana", action="Login", what="session", outcome="Success")
    assert find(rows, person="dana", action="Update", what="staff", detail="totp added")
    assert find(rows, person="dana", action="Create", what=f"staff {luis.public_id}", detail="role front_desk")
    assert find(rows, person="luis", action="Login", what="session", outcome="Success")
    assert find(rows, person="luis", action="Update", what="staff", detail="totp added")
    assert find(rows, person="luis", action="Read", what="route /audit/", outcome="Denied")

    # Filter to Luis with the filter form.
    page.get_by_label("Person (username)").fill("luis")
    page.locator("form.filters").get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]person=luis(&|$)"))
    luis_count = AuditEvent.objects.filter(actor_username="luis").count()
    expect(page.locator("#results [role=status]")).to_have_text(f"{luis_count} events")
    rows = audit_rows(page)
    assert len(rows) == luis_count and {row["Person"] for row in rows} == {"luis"}
    denied = find(rows, action="Read", what="route /audit/", outcome="Denied")
    assert len(denied) == 1 and "needs audit.read" in denied[0]["Why / detail"]
    camera.shoot("audit-report-luis")

    # The CSV download of the same filtered report, as the spreadsheet will see it.
    # The download link lives in the fragment htmx refreshes, so it carries the filter.
    assert "person=luis" in (page.get_by_role("link", name="Download CSV").get_attribute("href") or "")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert re.fullmatch(r"audit-\d{8}-\d{4}\.csv", download.suggested_filename)
    exported = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert len(exported) == luis_count and {row["actor_username"] for row in exported} == {"luis"}
    assert [(r["action"], r["outcome"]) for r in exported if r["object_id"] == "/audit/"] == [("read", "denied")]
    export = AuditEvent.objects.get(action=Action.EXPORT)
    assert (export.actor_username, export.object_type, export.outcome) == ("audra", "audit_report", Outcome.SUCCESS)

    fixed = KNOWN_PROBLEMS - seen_known_problems
    assert not fixed, f"fixed, so remove from KNOWN_PROBLEMS: {fixed}"


def test_the_sign_in_form_works_with_the_keyboard_alone(page: Page):
    camera = Camera(page, "keyboard")
    secret = enrol_totp(make_staff("sam", Role.NURSE, display_name="Sam Patel"))
    page.goto("/account/login/")
    expect(page.locator("#id_login")).to_be_focused()
    page.keyboard.type("sam")
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/account/2fa/authenticate/$"))
    code_field = page.get_by_label("Code")
    # Reach the code field from the top of the page with Tab alone, as someone without a mouse would.
    for _ in range(10):
        if code_field.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(code_field).to_be_focused()
    page.keyboard.type(fresh_code(secret))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sam Patel")

    # The first Tab on a page offers the skip link, and following it lands in <main>.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    camera.shoot("skip-link")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_the_account_security_pages_look_like_the_rest_of_the_app(page: Page):
    """allauth's own pages (password change, two-factor overview) use our field and button styles,
    and a mistake is shown next to the field it belongs to."""
    camera = Camera(page, "account")
    secret = enrol_totp(make_staff("priya", Role.BILLER, display_name="Priya Raman"))
    sign_in(page, "priya", PASSWORD)
    page.get_by_label("Code").fill(fresh_code(secret))
    page.locator("main").get_by_role("button", name="Sign in").click()
    nav = page.get_by_role("navigation", name="Main")

    nav.get_by_role("link", name="My account").click()
    page.get_by_role("link", name="Change my password").click()
    expect(page).to_have_url(re.compile(r"/account/password/change/$"))
    page.get_by_label(labelled("Current password")).fill("not my password at all")
    page.get_by_label(labelled("New password")).fill("a brand new passphrase 31")
    page.get_by_label(labelled("New password (again)")).fill("a brand new passphrase 31")
    page.locator("main").get_by_role("button", name=re.compile(r"^change password$", re.I)).click()
    current = page.get_by_label(labelled("Current password"))
    expect(current).to_have_attribute("aria-invalid", "true")
    described_by = current.get_attribute("aria-describedby") or ""
    assert described_by.endswith("id_oldpassword_error"), described_by
    error = page.locator("#id_oldpassword_error")
    expect(error).to_have_text("Please type your current password.")
    expect(error).to_have_class(re.compile(r"\bfield-error\b"))
    camera.shoot("password-change-error")
    user = User.objects.get(username="priya")
    assert user.check_password(PASSWORD)

    nav.get_by_role("link", name="My account").click()
    page.get_by_role("link", name="Two-factor authentication and recovery codes").click()
    expect(page).to_have_url(re.compile(r"/account/2fa/$"))
    expect(page.locator("main section.card")).to_have_count(2)
    camera.shoot("mfa-overview")
