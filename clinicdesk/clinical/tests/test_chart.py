"""The clinical chart: what it shows, to whom, and in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical.chart import ENCOUNTERS_PER_PAGE, vitals_trends
from clinicdesk.clinical.models import Allergy, Encounter, Medication, Problem, Recall, Vitals
from clinicdesk.clinical.vitals import VitalsInput, vitals_record

from .factories import make_clinic, make_encounter


@pytest.fixture
def clinic(office_manager, clinician, front_desk):
    return make_clinic(office_manager, clinician, front_desk)


def _fill(clinic, actor, encounters: int) -> None:
    for n in range(encounters):
        make_encounter(actor, clinic, day=date(2024, 1, 1) + timedelta(days=n), reason=f"Visit {n}")
    for n in range(3):
        Vitals.objects.create(
            patient=clinic.patient, taken_by=actor, taken_at=datetime(2025, 1, 1 + n, tzinfo=UTC),
            systolic=130 + n, diastolic=80, weight_kg=Decimal("80.0") + n,
        )  # fmt: skip
    Problem.objects.create(patient=clinic.patient, code="I10", description="Essential (primary) hypertension",
                           onset=date(2020, 5, 1), created_by=actor)  # fmt: skip
    Medication.objects.create(patient=clinic.patient, name="Lisinopril", strength="10 mg", form="tablet",
                              directions="1 tablet by mouth daily", created_by=actor)  # fmt: skip
    Allergy.objects.create(patient=clinic.patient, substance="Penicillin", reaction="Hives", severity="moderate",
                           created_by=actor)  # fmt: skip
    Recall.objects.create(patient=clinic.patient, appointment_type=clinic.kind, due_on=date(2026, 4, 1),
                          reason="BP check", created_by=actor)  # fmt: skip


def _chart(client, clinic, **params):
    return client.get(reverse("clinical:chart", args=[clinic.patient.mrn]), params)


def test_the_chart_shows_every_list_and_the_newest_encounters(as_user, clinician, clinic):
    _fill(clinic, clinician, 3)
    response = _chart(as_user(clinician), clinic)
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Penicillin", "Hives", "I10", "Essential (primary) hypertension", "Lisinopril 10 mg tablet",
                 "BP check", "Blood pressure", "Weight", "<svg", "Visit 2"):  # fmt: skip
        assert text in page, text
    assert page.index("Visit 2") < page.index("Visit 1") < page.index("Visit 0")  # newest first


def test_the_chart_costs_the_same_queries_for_5_or_60_encounters(as_user, clinician, clinic, office_manager):
    client = as_user(clinician)
    _fill(clinic, clinician, 5)
    _chart(client, clinic)  # warm: session, permissions
    with CaptureQueriesContext(connection) as few:
        assert _chart(client, clinic).status_code == 200
    for n in range(55):
        make_encounter(clinician, clinic, day=date(2025, 6, 1) + timedelta(days=n), reason=f"Later {n}")
    with CaptureQueriesContext(connection) as many:
        response = _chart(client, clinic)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert response.content.decode().count("Later ") == ENCOUNTERS_PER_PAGE


def test_older_encounters_come_a_page_at_a_time_and_none_is_skipped_or_repeated(as_user, clinician, clinic):
    client = as_user(clinician)
    for n in range(ENCOUNTERS_PER_PAGE * 2 + 3):  # several on one day, to test the tie-break
        make_encounter(clinician, clinic, day=date(2025, 1, 1) + timedelta(days=n // 2), reason=f"R{n:03d}x")
    seen, older = [], None
    while True:
        response = _chart(client, clinic, **({"older": older} if older else {}))
        page = response.content.decode()
        seen += [int(n) for n in re.findall(r"<td>R(\d{3})x</td>", page)]
        marker = "?older="
        if marker not in page:
            break
        older = page.split(marker)[1].split('"')[0]
    assert sorted(seen) == list(range(ENCOUNTERS_PER_PAGE * 2 + 3)) and len(seen) == len(set(seen))


def test_only_clinical_readers_open_the_chart_and_each_open_is_audited(
    as_user, clinician, nurse, front_desk, biller, auditor, clinic
):
    _fill(clinic, clinician, 1)
    for user in (front_desk, biller, auditor):
        assert _chart(as_user(user), clinic).status_code == 403
    before = AuditEvent.objects.filter(patient_id=clinic.patient.mrn, reason="clinical chart").count()
    assert _chart(as_user(nurse), clinic).status_code == 200
    assert AuditEvent.objects.filter(patient_id=clinic.patient.mrn, reason="clinical chart").count() == before + 1


def test_a_bad_older_cursor_is_a_404_and_an_unknown_patient_too(as_user, clinician, clinic):
    client = as_user(clinician)
    assert _chart(client, clinic, older="not-a-uuid").status_code == 404
    other = make_encounter(clinician, clinic)
    Encounter.objects.filter(pk=other.pk)  # same patient: fine
    assert _chart(client, clinic, older=str(other.public_id)).status_code == 200
    assert client.get(reverse("clinical:chart", args=["00000000"])).status_code == 404


def test_no_allergy_entry_says_so_and_no_known_allergies_is_shown_as_a_statement(as_user, clinician, clinic):
    client = as_user(clinician)
    assert "Allergies not recorded" in _chart(client, clinic).content.decode()
    Allergy.objects.create(patient=clinic.patient, no_known_allergies=True, created_by=clinician)
    assert "No known allergies" in _chart(client, clinic).content.decode()


def test_the_trend_scales_its_points_inside_the_drawing():
    readings = [
        Vitals(taken_at=datetime(2025, 1, d, tzinfo=UTC), systolic=s, diastolic=s - 50, weight_kg=Decimal(w))
        for d, s, w in ((1, 120, "70.0"), (2, 180, "72.5"), (3, 95, "71.0"))
    ]
    bp, weight = vitals_trends(readings)
    assert bp.low <= 45 and bp.high >= 180
    for line in bp.lines() + weight.lines():
        for x, y in line["dots"]:
            assert bp.pad_left <= x <= bp.width and bp.pad_top <= y <= bp.height - bp.pad_bottom
    # Midnight UTC is the evening before in New York.
    assert weight.unit == "lb" and weight.rows()[1] == ("01/01/2025", ["159.8"])
    assert vitals_trends([]) == []


def test_the_encounter_page_leads_to_the_chart_the_summary_and_a_follow_up(as_user, clinician, front_desk, clinic):
    encounter = make_encounter(clinician, clinic)
    url = reverse("clinical:encounter", args=[encounter.public_id])
    page = as_user(clinician).get(url).content.decode()
    for target in (
        reverse("clinical:chart", args=[clinic.patient.mrn]),
        reverse("clinical:visit_summary", args=[encounter.public_id]),
        reverse("clinical:recall_new", args=[encounter.public_id]),
    ):
        assert target in page, target
    desk_page = as_user(front_desk).get(url).content.decode()
    assert reverse("clinical:chart", args=[clinic.patient.mrn]) not in desk_page
    assert reverse("clinical:recall_new", args=[encounter.public_id]) not in desk_page


def test_the_chart_leads_to_each_list_and_the_patient_page_to_the_chart(as_user, clinician, front_desk, clinic):
    mrn = clinic.patient.mrn
    page = _chart(as_user(clinician), clinic).content.decode()
    for name in ("clinical:problems", "clinical:medications", "clinical:allergies", "clinical:recall_new_patient"):
        assert reverse(name, args=[mrn]) in page, name
    chart_url = reverse("clinical:chart", args=[mrn])
    assert chart_url in as_user(clinician).get(reverse("patients:detail", args=[mrn])).content.decode()
    assert chart_url not in as_user(front_desk).get(reverse("patients:detail", args=[mrn])).content.decode()


def test_the_chart_says_the_weight_as_typed_in_the_unit_of_its_graph_with_legend_colours_of_the_dots(
    clock, as_user, clinician, nurse, clinic
):
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    for weight in ("152", "150"):
        vitals_record(actor=nurse, patient=clinic.patient, data=VitalsInput(weight=weight, weight_unit="lb",
                      systolic="128", diastolic="82"))  # fmt: skip
        clock.advance(minutes=30)
    page = _chart(as_user(clinician), clinic).content.decode()
    assert "weight 150 lb" in page and " kg" not in page  # the text and the graph both in lb
    assert "Weight (lb)" in page and "<td>150</td>" in page and "149.9" not in page
    legends = re.findall(r'<p class="legend small">(.*?)</p>', page)
    dots = set(re.findall(r'<circle cx="[\d.]+" cy="[\d.]+" r="3" fill="(#[0-9a-f]{6})"', page))
    swatches = [re.findall(r'fill="(#[0-9a-f]{6})"', legend) for legend in legends]
    assert swatches == [["#c0392b", "#2c7fb8"], ["#6a3d9a"]] and dots == {"#c0392b", "#2c7fb8", "#6a3d9a"}
    assert "style=" not in "".join(legends)  # the page's CSP drops inline styles, so colours are SVG fills
