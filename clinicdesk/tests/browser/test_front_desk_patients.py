"""The front desk registers a patient, clicked through in a real browser.

Luis, at the front desk, signs in with his authenticator and registers William Hargrove with
his phones, address and SSN, then adds his primary insurance from the chart. A week later
someone registers "Bill Hargrove", born the same day: the page warns that he may already be
registered, shows the two side by side, and Luis opens the existing chart instead. Later he
finds William by typing the phone number in another format and opens the chart with the
keyboard alone. The SSN is shown as its last four digits only, wherever it appears, and the
audit trail holds every step.

The browser, the screenshots and the accessibility check are those of the first-day test.
"""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.core.capabilities import Role
from clinicdesk.patients.models import Coverage, CoveragePriority, Patient, PayerType
from clinicdesk.patients.payers import PayerInput, payer_create
from clinicdesk.tests.browser.helpers import DesktopCamera, fresh_code, labelled, sign_in
from conftest import PASSWORD, enrol_totp, make_staff

SSN = "123-45-6789"
SSN_MASKED = "***-**-6789"
SSN_DIGITS = ("123-45-6789", "123456789", "123 45 6789")
MOBILE = "(518) 555-0142"
MOBILE_TYPED_DIFFERENTLY = "518.555.0142"


def assert_no_full_ssn(page: Page) -> None:
    html = page.content()
    leaked = [form for form in SSN_DIGITS if form in html]
    assert leaked == [], f"the full SSN is in the HTML of {page.url}"


def sign_in_with_code(page: Page, username: str, secret: str) -> None:
    sign_in(page, username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/account/2fa/authenticate/$"))
    page.get_by_label("Code").fill(fresh_code(secret))
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Luis Moreno")


def fill_name_and_birth(page: Page, *, first: str, last: str, born: str) -> None:
    page.get_by_label(labelled("First name (legal)")).fill(first)
    page.get_by_label(labelled("Last name (legal)")).fill(last)
    page.get_by_label(labelled("Date of birth")).fill(born)
    page.get_by_label(labelled("Sex assigned at birth")).select_option(label="Male")


def test_front_desk_registers_a_patient_is_warned_of_a_duplicate_and_finds_him_by_phone(page: Page):
    camera = DesktopCamera(page, "front-desk-patients")
    luis = make_staff("luis", Role.FRONT_DESK, display_name="Luis Moreno")
    secret = enrol_totp(luis)
    payer = payer_create(
        actor=make_staff("dana", Role.OFFICE_MANAGER, display_name="Dana Whitfield"),
        data=PayerInput(name="Empire Plan Health", payer_type=PayerType.COMMERCIAL, payer_id="87726"),
    )
    sign_in_with_code(page, "luis", secret)

    # 1. Register William with phones, address and SSN.
    page.goto("/patients/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a patient")
    fill_name_and_birth(page, first="William", last="Hargrove", born="03/14/1962")
    page.get_by_label(labelled("SSN")).fill(SSN)
    page.get_by_label(labelled("Mobile phone")).fill(MOBILE)
    page.get_by_label(labelled("Home phone")).fill("518-555-0199")
    page.get_by_label(labelled("Email")).fill("w.hargrove@example.org")
    page.get_by_label(labelled("Address")).fill("14 Lark Street")
    page.get_by_label(labelled("City")).fill("Albany")
    page.get_by_label(labelled("State")).select_option("NY")
    page.get_by_label(labelled("ZIP code")).fill("12210")
    camera.shoot("register-filled")
    page.locator("main").get_by_role("button", name="Register patient").click()

    william = Patient.objects.get(last_name="Hargrove")
    expect(page).to_have_url(re.compile(rf"/patients/{william.mrn}/$"))
    expect(page.locator("main")).to_contain_text(f"Hargrove, William registered with MRN {william.mrn}")
    identity = page.locator("section[aria-labelledby=id-h]")
    expect(identity).to_contain_text(SSN_MASKED)
    contact = page.locator("section[aria-labelledby=contact-h]")
    expect(contact).to_contain_text(MOBILE)
    expect(contact).to_contain_text("14 Lark Street")
    assert (william.first_name, william.date_of_birth, william.ssn_last4) == ("William", date(1962, 3, 14), "6789")
    assert sorted(william.phones.values_list("kind", "number")) == [
        ("home", "+15185550199"),
        ("mobile", "+15185550142"),
    ]
    assert_no_full_ssn(page)
    camera.shoot("chart-registered")

    # 2. Add his primary coverage from the chart.
    page.locator("section[aria-labelledby=ins-h]").get_by_role("link", name="Add coverage").click()
    expect(page).to_have_url(re.compile(rf"/patients/{william.mrn}/coverages/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add coverage")
    page.get_by_label(labelled("Payer")).select_option(label="Empire Plan Health (87726)")
    page.get_by_label(labelled("Priority")).select_option(label="Primary")
    page.get_by_label(labelled("Plan name")).fill("Empire PPO")
    page.get_by_label(labelled("Member id")).fill("EMP4410023")
    page.get_by_label(labelled("Group number")).fill("GR-7781")
    page.get_by_label(labelled("Effective date")).fill("01/01/2026")
    page.get_by_label(labelled("Copay amount ($)")).fill("25")
    page.get_by_label(labelled("Copay notes")).fill("office visit")
    camera.shoot("coverage-form")
    page.locator("main").get_by_role("button", name="Add coverage").click()

    expect(page).to_have_url(re.compile(rf"/patients/{william.mrn}/$"))
    expect(page.locator("main")).to_contain_text("Primary coverage with Empire Plan Health added")
    insurance = page.locator("section[aria-labelledby=ins-h]")
    expect(insurance).to_contain_text("Empire Plan Health")
    expect(insurance).to_contain_text("Empire PPO")
    expect(insurance).to_contain_text("$25.00 · office visit")
    coverage = Coverage.objects.get(patient=william)
    assert (coverage.payer, coverage.priority, coverage.effective_date, coverage.copay_cents) == (
        payer,
        CoveragePriority.PRIMARY,
        date(2026, 1, 1),
        2500,
    )
    assert_no_full_ssn(page)
    camera.shoot("chart-with-coverage")

    # 3. "Bill Hargrove", same birthday: warned, compared side by side, the existing chart opened.
    page.goto("/patients/new/")
    fill_name_and_birth(page, first="Bill", last="Hargrove", born="3/14/1962")
    page.get_by_label(labelled("Mobile phone")).fill("(518) 555-0777")
    page.locator("main").get_by_role("button", name="Register patient").click()

    warning = page.get_by_role("alert").filter(has_text="This patient may already be registered")
    expect(warning).to_be_visible()
    existing = warning.locator("tbody tr").filter(has_text=william.mrn)
    expect(existing).to_contain_text("Hargrove, William")
    expect(existing).to_contain_text("03/14/1962")
    expect(existing).to_contain_text("same date of birth, similar name")
    expect(existing).to_contain_text("…0142")
    expect(warning.locator("tbody tr").first).to_contain_text("Hargrove, Bill")
    expect(page.get_by_role("button", name=re.compile("different person"))).to_be_visible()
    assert Patient.objects.count() == 1
    assert_no_full_ssn(page)
    camera.shoot("duplicate-warning")
    existing.get_by_role("link", name="Open this chart").click()

    expect(page).to_have_url(re.compile(rf"/patients/{william.mrn}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hargrove, William")
    assert list(Patient.objects.values_list("mrn", flat=True)) == [william.mrn]

    # 4. The edit form offers the SSN field empty; the stored one is never sent to the browser.
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/patients/{william.mrn}/edit/$"))
    expect(page.get_by_label(labelled("First name (legal)"))).to_have_value("William")
    expect(page.get_by_label(labelled("SSN"))).to_have_value("")
    assert_no_full_ssn(page)
    camera.shoot("edit-form")

    # 5. Find patient: the phone typed another way, the hit opened with arrow key and Enter.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Find patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find patient")
    box = page.get_by_label("Name, date of birth, phone, MRN or member ID")
    expect(box).to_be_focused()
    page.keyboard.type(MOBILE_TYPED_DIFFERENTLY, delay=30)
    results = page.locator(f"#patient-results[data-q='{MOBILE_TYPED_DIFFERENTLY}']")
    expect(results.get_by_role("status")).to_have_text("1 patient found.")
    hit = results.locator("a.search-hit")
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text("Hargrove, William")
    expect(hit).to_contain_text(william.mrn)
    expect(hit).to_contain_text("…0142")
    assert_no_full_ssn(page)
    camera.shoot("search-by-phone")
    page.keyboard.press("ArrowDown")
    expect(hit).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/patients/{william.mrn}/$"))
    expect(page.locator("section[aria-labelledby=id-h]")).to_contain_text(SSN_MASKED)
    assert_no_full_ssn(page)

    # 6. Every step is in the audit trail, and no event holds the SSN or the typed phone.
    mine = AuditEvent.objects.filter(actor_username="luis")
    registered = mine.get(action=Action.CREATE, object_type="patient")
    assert registered.object_id == william.mrn and "ssn" in registered.changed_fields
    added = mine.get(action=Action.CREATE, object_type="coverage")
    assert (added.object_id, added.patient_id) == (str(coverage.public_id), william.mrn)
    checked = mine.get(action=Action.READ, object_type="patient_duplicates")
    assert checked.detail == f"results={william.mrn}"
    reads = mine.filter(action=Action.READ, object_type="patient", object_id=william.mrn)
    # The chart after registering, after the coverage, from the warning and from the search, each
    # with its appointments section (a read of its own); the coverage form (shown, posted); the edit form.
    assert reads.count() == 11, [(e.reason, e.object_id) for e in reads]
    assert reads.filter(reason="appointments").count() == 4
    # The coverage form opens the chart twice, to show the form and to save it.
    assert mine.filter(action=Action.READ, object_type="patient", reason="add coverage").count() == 2
    searches = mine.filter(action=Action.READ, object_type="patient_search", detail__endswith=william.mrn)
    assert searches.exists() and all(e.detail.startswith("kind=phone;") for e in searches)
    for event in AuditEvent.objects.all():
        text = " ".join([event.detail, event.reason, event.changed_fields, event.object_id])
        typed = [*SSN_DIGITS, "555-0142", "555.0142", "5550142"]
        assert not [form for form in typed if form in text], event
