"""The recall pages: the front desk's worklist, contact and close, and the add-follow-up form."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from clinicdesk.accounts.services import record_restrict
from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical import recalls
from clinicdesk.clinical.models import Recall, RecallStatus
from clinicdesk.clinical.recall_views import page_links
from clinicdesk.core import clock as app_clock

from .helpers import backdate, book, new_recall, next_weekday_at

WORKLIST = "/clinical/recalls/"


def test_the_front_desk_sees_who_to_call_with_overdue_days_in_red_and_a_book_link(rp, as_user, clinician, front_desk):
    recall = backdate(new_recall(clinician, rp, provider=rp.provider), app_clock.today() - timedelta(days=4))
    response = as_user(front_desk).get(WORKLIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert rp.jane.display_name in page and rp.jane.mrn in page
    assert "(202) 555-0123" in page and "BP check" in page and "Follow-up" in page
    assert '<span class="badge badge-danger">4 days overdue</span>' in page
    book = (
        reverse("scheduling:book")
        + f"?patient={rp.jane.mrn}&amp;type={rp.kind.public_id}&amp;due={recall.due_on.isoformat()}"
        + f"&amp;provider={rp.provider.public_id}"
    )
    assert book in page
    assert AuditEvent.objects.filter(object_type="recall_worklist", action="read").count() == 1
    assert str(recall.public_id) in page


def test_billers_and_auditors_are_refused_the_worklist(rp, as_user, biller, auditor):
    for person in (biller, auditor):
        assert as_user(person).get(WORKLIST).status_code == 403


def test_a_bad_filter_is_named_and_the_good_ones_still_apply(rp, as_user, clinician, front_desk):
    new_recall(clinician, rp, reason="mine", provider=rp.provider)
    new_recall(clinician, rp, reason="lee", provider=rp.other)
    today = app_clock.today()
    response = as_user(front_desk).get(
        WORKLIST,
        {
            "provider": str(rp.other.public_id),
            "due_from": today.isoformat(),
            "due_to": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "The end of the range is before its start." in page
    assert "lee" in page and ">mine<" not in page


def test_logging_a_contact_from_the_worklist_returns_to_the_same_filtered_list(rp, as_user, clinician, front_desk):
    recall = new_recall(clinician, rp)
    back = WORKLIST + "?state=open"
    response = as_user(front_desk).post(
        reverse("clinical:recall_contact", args=[recall.public_id]), {"note": "left voicemail", "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    recall.refresh_from_db()
    assert recall.status == RecallStatus.CONTACTED


def test_a_next_address_off_the_site_is_ignored(rp, as_user, clinician, front_desk):
    recall = new_recall(clinician, rp)
    response = as_user(front_desk).post(
        reverse("clinical:recall_contact", args=[recall.public_id]),
        {"note": "called", "next": "https://evil.example/clinical/recalls/"},
    )
    assert response["Location"] == WORKLIST


def test_closing_without_a_reason_shows_the_recall_with_the_message_beside_the_field(
    rp,
    as_user,
    clinician,
    front_desk,
):
    recall = new_recall(clinician, rp)
    client = as_user(front_desk)
    response = client.post(reverse("clinical:recall_close", args=[recall.public_id]), {"reason": ""})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    recall.refresh_from_db()
    assert recall.status == RecallStatus.DUE
    response = client.post(reverse("clinical:recall_close", args=[recall.public_id]), {"reason": "moved away"})
    assert response.status_code == 302
    recall.refresh_from_db()
    assert (recall.status, recall.closed_reason) == ("closed", "moved away")
    again = client.post(reverse("clinical:recall_close", args=[recall.public_id]), {"reason": "again"})
    assert again.status_code == 409
    assert "closed already" in again.content.decode()


def test_the_recall_page_is_an_audited_read_and_hidden_from_billers(rp, as_user, clinician, front_desk, biller):
    recall = new_recall(clinician, rp)
    url = reverse("clinical:recall", args=[recall.public_id])
    assert as_user(front_desk).get(url).status_code == 200
    assert AuditEvent.objects.filter(object_type="recall", action="read", object_id=str(recall.public_id)).exists()
    assert as_user(biller).get(url).status_code == 403


def test_a_nurse_adds_a_follow_up_from_the_visit(rp, as_user, nurse):
    url = reverse("clinical:recall_new", args=[rp.encounter.public_id])
    client = as_user(nurse)
    page = client.get(url)
    assert page.status_code == 200
    assert 'for="id_interval"' in page.content.decode()
    response = client.post(
        url, {"interval": "2 weeks", "reason": "BP check", "appointment_type": str(rp.kind.public_id)}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("clinical:encounter", args=[rp.encounter.public_id]) + "#follow-up"
    recall = Recall.objects.get()
    assert recall.encounter == rp.encounter
    assert recall.due_on == rp.encounter.date_of_service + timedelta(weeks=2)


def test_a_bad_interval_is_named_and_what_was_typed_is_kept(rp, as_user, nurse):
    url = reverse("clinical:recall_new", args=[rp.encounter.public_id])
    response = as_user(nurse).post(
        url, {"interval": "a fortnight", "reason": "BP check", "appointment_type": str(rp.kind.public_id)}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "is not an interval" in page and 'value="BP check"' in page
    assert not Recall.objects.exists()


def test_the_form_answers_htmx_with_its_fragment(rp, as_user, clinician):
    url = reverse("clinical:recall_new_patient", args=[rp.jane.mrn])
    client = as_user(clinician)
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content and b'id="recall-form"' in fragment.content
    added = client.post(
        url,
        {"interval": "1 month", "reason": "Lab review", "appointment_type": str(rp.kind.public_id)},
        headers={"HX-Request": "true"},
    )
    assert added.status_code == 201 and added["HX-Trigger"] == "recallAdded"
    assert Recall.objects.get().encounter is None


def test_the_front_desk_cannot_add_follow_ups(rp, as_user, front_desk):
    url = reverse("clinical:recall_new", args=[rp.encounter.public_id])
    assert as_user(front_desk).get(url).status_code == 403


def test_the_navigation_offers_recalls_to_the_front_desk_only_among_desk_and_billing(rp, as_user, front_desk, biller):
    assert 'href="/clinical/recalls/"' in as_user(front_desk).get(WORKLIST).content.decode()
    assert 'href="/clinical/recalls/"' not in as_user(biller).get("/").content.decode()


# --- Follow-ups on the encounter page --------------------------------------------------------


def _add_on_the_encounter_page(client, rp, reason: str, interval: str):  # noqa: F811
    url = reverse("clinical:recall_new", args=[rp.encounter.public_id])
    data = {"interval": interval, "reason": reason, "appointment_type": str(rp.kind.public_id)}
    return client.post(url, data, headers={"HX-Request": "true"})


def test_a_follow_up_added_on_the_encounter_page_is_confirmed_and_listed_with_a_book_link(clock, rp, as_user, nurse):  # noqa: F811
    client = as_user(nurse)
    page = client.get(reverse("clinical:encounter", args=[rp.encounter.public_id])).content.decode()
    assert "No follow-ups from this visit yet." in page and 'id="follow-up-status" role="status"' in page

    added = _add_on_the_encounter_page(client, rp, "BP check", "2 weeks")
    assert added.status_code == 201 and added["HX-Trigger"] == "recallAdded"
    fragment = added.content.decode()
    recall = Recall.objects.get()
    due = (rp.encounter.date_of_service + timedelta(weeks=2)).strftime("%m/%d/%Y")
    # The confirmation goes into the page's live region and the list is replaced beside the form.
    assert 'id="follow-up-status" role="status" hx-swap-oob="innerHTML"' in fragment
    assert f"Follow-up added: BP check, {rp.kind.name} due {due}." in fragment
    assert 'id="follow-up-list" hx-swap-oob="true"' in fragment
    assert f'id="follow-up-{recall.public_id}"' in fragment and 'id="recall-form"' in fragment
    # The confirmation is shown now, not again as a stale message on the next page.
    assert "Follow-up added" not in client.get(reverse("clinical:recalls")).content.decode()

    assert _add_on_the_encounter_page(client, rp, "Lab review", "1 month").status_code == 201
    page = client.get(reverse("clinical:encounter", args=[rp.encounter.public_id])).content.decode()
    rows = list(Recall.objects.order_by("due_on"))
    assert [r.reason for r in rows] == ["BP check", "Lab review"]
    assert page.index("BP check") < page.index("Lab review")
    assert "No follow-ups from this visit yet." not in page
    for row in rows:
        assert f'id="follow-up-{row.public_id}"' in page
        assert row.due_on.strftime("%m/%d/%Y") in page
    # The nurse books (schedule.write): each follow-up not yet booked has its Book link.
    assert page.count("Not booked") == 2
    assert page.count(f"/scheduling/book/?patient={rp.jane.mrn}") == 2


def test_a_booked_follow_up_links_its_appointment_instead_of_book(clock, rp, as_user, nurse):  # noqa: F811
    new_recall(nurse, rp, encounter=rp.encounter)
    appointment = book(rp, at=next_weekday_at(10, days_ahead=14))
    recall = Recall.objects.get()
    assert recall.status == RecallStatus.SCHEDULED and recall.appointment == appointment
    page = as_user(nurse).get(reverse("clinical:encounter", args=[rp.encounter.public_id])).content.decode()
    assert reverse("scheduling:appointment", args=[appointment.public_id]) in page
    assert "Not booked" not in page and "/scheduling/book/?" not in page


def test_follow_ups_show_to_readers_of_the_visit(clock, rp, as_user, clinician, front_desk, biller, office_manager):  # noqa: F811
    """The clinician sees them without Book links; front desk and biller only see the visit took place."""
    new_recall(clinician, rp, encounter=rp.encounter, reason="Wound check")
    url = reverse("clinical:encounter", args=[rp.encounter.public_id])
    page = as_user(clinician).get(url).content.decode()
    assert "Wound check" in page and "Not booked" in page and "/scheduling/book/?" not in page
    # Roles that see only that the visit took place do not see what was planned in it.
    for person in (front_desk, biller):
        response = as_user(person).get(url)
        assert response.status_code == 200
        assert "Wound check" not in response.content.decode() and 'id="follow-up-list"' not in response.content.decode()
    # A restricted record shows nothing without emergency access.
    record_restrict(actor=office_manager, patient_id=rp.jane.mrn, note="staff member's own chart")
    refused = as_user(clinician).get(url)
    assert refused.status_code == 302 and "emergency" in refused["Location"]


def test_the_worklist_shows_fifty_a_page_with_the_count_and_page_links_that_keep_the_filters(
    clock,
    rp,  # noqa: F811
    as_user,
    clinician,
    front_desk,
):
    for n in range(recalls.PAGE_SIZE + 3):
        new_recall(
            clinician, rp, reason=f"check {n:03d}", provider=rp.provider, due_on=app_clock.today() + timedelta(days=n)
        )
    new_recall(clinician, rp, reason="not this provider", provider=rp.other)
    client = as_user(front_desk)
    chosen = {"provider": str(rp.provider.public_id)}
    first = client.get(WORKLIST, chosen).content.decode()
    assert f"{recalls.PAGE_SIZE + 3} recalls — 1 to {recalls.PAGE_SIZE} shown, page 1 of 2" in first
    assert first.count("check 0") == recalls.PAGE_SIZE and "check 050" not in first
    assert f'href="?provider={rp.provider.public_id}&amp;page=2"' in first  # the filter rides along
    assert '<strong aria-current="page"><span class="visually-hidden">Page </span>1</strong>' in first
    second = client.get(WORKLIST, chosen | {"page": "2"}).content.decode()
    assert f"— {recalls.PAGE_SIZE + 1} to {recalls.PAGE_SIZE + 3} shown, page 2 of 2" in second
    assert ["check 050" in second, "check 052" in second, "check 049" in second] == [True, True, False]
    assert "not this provider" not in second and f'href="?provider={rp.provider.public_id}&amp;page=1"' in second


def test_page_links_leave_out_the_far_pages():
    assert page_links(1, 1) == [1]
    assert page_links(1, 3) == [1, 2, 3]
    assert page_links(10, 20) == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert page_links(2, 20) == [1, 2, 3, 4, None, 20]
