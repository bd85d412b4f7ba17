"""The home page: each role sees its own panels of today's numbers and nobody else's; every panel
also answers alone on its own route (the page's refresh), guarded by the panel's capability."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from clinicdesk.clinical.models import VisitNote
from clinicdesk.clinical.tests.factories import make_clinic, make_encounter
from clinicdesk.core import home
from clinicdesk.core.capabilities import Cap, Role, role_can
from clinicdesk.core.guards import declared_capability
from clinicdesk.core.tests.homepage import panels
from conftest import enrol_totp, make_staff

# Each role's panels, in page order. A role missing here has none.
EXPECTED = {
    Role.FRONT_DESK: ["Today's arrivals", "Confirmations to make", "Recalls due", "Waitlist matches"],
    Role.NURSE: ["Waiting to be roomed", "Vitals to take"],
    Role.CLINICIAN: ["Your patients today", "Notes and follow-ups"],
    Role.OFFICE_MANAGER: ["Today's visits", "Emergency access reviews", "Staff on today"],
    Role.AUDITOR: ["Emergency access reviews", "Access anomalies"],
}
# Panels whose numbers need a clinical capability the front desk does not hold.
CLINICAL_TITLES = {"Vitals to take", "Your patients today", "Notes and follow-ups"}
MORNING = datetime(2026, 3, 4, 10, 30, tzinfo=ZoneInfo("America/New_York"))  # a Wednesday


@pytest.mark.parametrize("role", Role.values)
def test_each_role_sees_exactly_its_own_panels(as_user, db, role):
    person = make_staff(f"home_{role}", role)
    response = as_user(person).get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert list(panels(page)) == EXPECTED.get(role, [])
    if role not in EXPECTED:
        assert "Nothing on this page counts work for your role yet" in page


def test_a_registered_panel_needs_a_capability_every_one_of_its_roles_holds():
    before = [p.name for p in home.panels()]
    with pytest.raises(ValueError, match="front_desk do not hold audit.read"):
        home.register(name="test.bad", title="Bad", capability=Cap.AUDIT_READ, roles={Role.FRONT_DESK}, order=1,
                      build=lambda asked: home.PanelContent())  # fmt: skip
    with pytest.raises(ValueError, match="unknown capability"):
        home.register(name="test.bad", title="Bad", capability="no.such", roles=set(), order=1,
                      build=lambda asked: home.PanelContent())  # fmt: skip
    assert [p.name for p in home.panels()] == before


def test_every_panel_route_declares_its_panels_capability_and_refuses_everyone_else(client, db):
    people = {role: make_staff(f"route_{role}", role) for role in Role.values}
    for person in people.values():
        enrol_totp(person)
    failures = []
    for panel in home.panels():
        url = reverse(panel.url_name)
        assert url == f"/home/panels/{panel.slug}/"
        for role, person in people.items():
            client.force_login(person)
            response = client.get(url)
            allowed = role_can(role, panel.capability)
            if response.status_code != (200 if allowed else 403):
                failures.append(f"{role} GET {url}: {response.status_code}")
            if allowed and f'id="panel-{panel.slug}"' not in response.content.decode():
                failures.append(f"{role} GET {url}: not the panel")
            if allowed and client.post(url).status_code != 405:
                failures.append(f"{role} POST {url}: not refused")
    assert failures == []
    from django.urls import resolve

    assert {declared_capability(resolve(reverse(p.url_name)).func) for p in home.panels()} == {
        p.capability for p in home.panels()
    }


def test_the_page_is_built_on_the_server_and_each_panel_refreshes_from_its_own_route(as_user, office_manager):
    page = as_user(office_manager).get("/").content.decode()
    for panel in home.panels_for(Role.OFFICE_MANAGER):
        assert f'hx-get="{reverse(panel.url_name)}"' in page
    # Without JavaScript the numbers are already there, each a plain link to its list.
    assert panels(page)["Emergency access reviews"][0].url == reverse("accounts:emergency_review")


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, db):
    for url in ["/", *(reverse(p.url_name) for p in home.panels())]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/account/login/"), url


def test_the_front_desk_never_sees_note_text_or_a_clinical_panel(as_user, office_manager, front_desk, clinician, clock):
    clock.set(MORNING)
    clinic = make_clinic(office_manager, clinician, front_desk)
    encounter = make_encounter(clinician, clinic, day=MORNING.date())
    VisitNote.objects.create(encounter=encounter, subjective="ZEBRA-NARRATIVE chest pain", author=clinician,
                             last_edited_by=clinician)  # fmt: skip
    client = as_user(front_desk)
    pages = [client.get("/").content.decode()]
    pages += [client.get(reverse(p.url_name)).content.decode() for p in home.panels_for(Role.FRONT_DESK)]
    for page in pages:
        assert "ZEBRA" not in page and "chest pain" not in page
        assert not CLINICAL_TITLES & set(panels(page))
    for panel in home.panels():
        if panel.title in CLINICAL_TITLES:
            assert not role_can(Role.FRONT_DESK, panel.capability)
            assert client.get(reverse(panel.url_name)).status_code == 403
    # The clinician is told there is a note to sign, and nothing of what it says.
    page = as_user(clinician).get("/").content.decode()
    assert panels(page)["Notes and follow-ups"][0].value == "1"
    assert "ZEBRA" not in page
    assert VisitNote.objects.get(encounter=encounter).status == "draft"
