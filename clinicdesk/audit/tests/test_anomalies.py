"""Access anomalies: the three rules on a constructed week of reads, the privacy officer's home
panel, and the audit report's time-of-day filter each finding links to.

The clock stands at 10:30 on Wednesday 4 March 2026 (New York, the practice's zone).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from clinicdesk.audit import anomalies
from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.audit.tests.events import event_at
from clinicdesk.core.tests.homepage import figure, panels

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=NY)


def reads(person, start: datetime, patients: int, *, step=timedelta(minutes=1), action=Action.READ):
    """`person` opens `patients` different records from `start`, one every `step`."""
    for n in range(patients):
        event_at(start + n * step, actor=person, action=action, patient_id=f"{10000000 + n}")


def week(clock, front_desk, nurse, clinician):
    limit = anomalies.patients_per_hour()
    tuesday = datetime(2026, 3, 3, 14, 0, tzinfo=NY)
    reads(front_desk, tuesday, limit + 1)  # one over the limit within 14:00-15:00
    reads(front_desk, tuesday.replace(hour=15, minute=10), 1)  # after that hour
    reads(clinician, tuesday.replace(hour=9), limit)  # at the limit: not over it
    reads(nurse, datetime(2026, 3, 2, 21, 15, tzinfo=NY), 2)  # Monday night
    reads(nurse, datetime(2026, 3, 3, 5, 30, tzinfo=NY), 1)  # Tuesday before six
    reads(nurse, datetime(2026, 3, 3, 6, 0, tzinfo=NY), 1)  # six o'clock: not after hours
    reads(clinician, datetime(2026, 3, 4, 8, 0, tzinfo=NY), 1, action=Action.EMERGENCY_ACCESS)
    reads(clinician, datetime(2026, 2, 20, 22, 0, tzinfo=NY), 1)  # outside the seven days
    clock.set(NOW)


def report_rows(page: str) -> list[str]:
    return re.findall(r'<tr class="outcome-\w+">\s*<td>(\d+)</td>', page)


def test_the_rules_find_the_busy_hour_the_nights_and_the_emergency_openings(front_desk, nurse, clinician, clock):
    week(clock, front_desk, nurse, clinician)
    since, until, first = anomalies.period(NOW)
    found = anomalies.anomalies_find(since=since, until=until)
    summary = [(a.rule, a.person, a.day.isoformat(), a.count) for a in found]
    assert summary == [
        (anomalies.MANY_PATIENTS, "luis", "2026-03-03", anomalies.patients_per_hour() + 1),
        (anomalies.AFTER_HOURS, "sam", "2026-03-02", 2),
        (anomalies.AFTER_HOURS, "sam", "2026-03-03", 1),
        (anomalies.EMERGENCY, "okafor", "2026-03-04", 1),
    ]
    assert first.isoformat() == "2026-02-26"


def test_each_finding_opens_the_audit_report_filtered_to_exactly_its_events(
    as_user, auditor, front_desk, nurse, clinician, clock
):
    week(clock, front_desk, nurse, clinician)
    client = as_user(auditor)
    page = client.get("/").content.decode()
    assert [(f.label, f.value, f.attention) for f in panels(page)["Access anomalies"]] == [
        ("Many records in one hour", "1", True),
        ("Records opened after hours", "2", True),
        ("Emergency access openings", "1", True),
    ]
    items = re.search(r'<ul class="home-items">(.*?)</ul>', page, re.S)[1]
    links = dict(re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', items))
    assert len(links) == 4
    busy = next(url for url, text in links.items() if "patients&#x27; records, Tue 03/03/2026 2:00 PM–3:00 PM" in text)
    busy = busy.replace("&amp;", "&")
    query = parse_qs(urlsplit(busy).query)
    assert query == {"person": ["luis"], "action": ["read"], "date_from": ["2026-03-03"], "date_to": ["2026-03-03"],
                     "time_from": ["14:00"], "time_to": ["15:00"]}  # fmt: skip
    listed = client.get(busy)
    assert listed.status_code == 200
    expected = AuditEvent.objects.filter(actor=front_desk, at__lt=datetime(2026, 3, 3, 15, tzinfo=NY))
    assert sorted(map(int, report_rows(listed.content.decode()))) == sorted(expected.values_list("seq", flat=True))
    night = next(url for url, text in links.items() if "after hours, Tue 03/03" in text).replace("&amp;", "&")
    assert report_rows(client.get(night).content.decode()) == [
        str(AuditEvent.objects.get(actor=nurse, at=datetime(2026, 3, 3, 5, 30, tzinfo=NY)).seq)
    ]
    more = figure(page, "Access anomalies", "Many records in one hour")
    assert client.get(more.url).status_code == 200


def test_the_report_filters_by_time_of_day_through_midnight(as_user, auditor, front_desk, nurse, clinician, clock):
    week(clock, front_desk, nurse, clinician)
    page = as_user(auditor).get("/audit/?time_from=20:00&time_to=06:00&action=read").content.decode()
    nightly = AuditEvent.objects.filter(actor=nurse).exclude(at=datetime(2026, 3, 3, 6, 0, tzinfo=NY))
    nightly_seqs = {*nightly.values_list("seq", flat=True)}
    late_clinician = AuditEvent.objects.get(actor=clinician, at=datetime(2026, 2, 20, 22, tzinfo=NY)).seq
    assert set(map(int, report_rows(page))) == nightly_seqs | {late_clinician}


def test_the_anomalies_page_lists_every_finding_with_what_each_rule_looks_for(
    as_user, auditor, front_desk, nurse, clinician, clock
):
    week(clock, front_desk, nurse, clinician)
    client = as_user(auditor)
    page = client.get("/audit/anomalies/?days=7").content.decode()
    assert "4 findings in 7 days." in page
    assert f"More than {anomalies.patients_per_hour()} different patients" in page
    assert "Records opened after hours (2)" in page
    # A longer look back finds the old night read as well; nonsense falls back to seven days.
    assert "5 findings in 14 days." in client.get("/audit/anomalies/?days=14").content.decode()
    assert "4 findings in 7 days." in client.get("/audit/anomalies/?days=lots").content.decode()


def test_the_front_desk_is_refused_the_anomalies(as_user, front_desk):
    assert as_user(front_desk).get("/audit/anomalies/").status_code == 403


def test_the_auditors_page_costs_the_same_queries_however_many_reads_and_findings(
    as_user, auditor, front_desk, nurse, clinician, clock
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        client = as_user(auditor)
        client.get("/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    clock.set(NOW)
    reads(nurse, datetime(2026, 3, 3, 21, 0, tzinfo=NY), 1)
    before = queries()
    week(clock, front_desk, nurse, clinician)
    reads(
        clinician, datetime(2026, 3, 2, 9, 0, tzinfo=NY), anomalies.patients_per_hour() + 5, step=timedelta(seconds=30)
    )
    assert (
        figure(as_user(auditor).get("/").content.decode(), "Access anomalies", "Many records in one hour").value == "2"
    )
    assert queries() == before
