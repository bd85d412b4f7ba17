from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from clinicdesk.codes.models import IcdCode, IcdVocabulary, IcdWord
from clinicdesk.codes.services import icd10_load
from clinicdesk.codes.sources import order_file_entries

from .conftest import SAMPLE_ORDER, order_file, order_line


def _snapshot():
    return (
        sorted(
            IcdCode.objects.values_list("code", "description", "billable", "parent", "chapter", "release", "active")
        ),
        sorted(IcdWord.objects.values_list("word", "code__code", "search_rank", "billable")),
        sorted(IcdVocabulary.objects.values_list("word", "codes")),
    )


def test_the_whole_packaged_code_set_loads_with_its_billable_codes(db, icd10_entries):
    import simple_icd_10_cm as cm

    result = icd10_load(entries=icd10_entries, release="2026")
    leaves = {c for c in cm.get_all_codes() if cm.is_category_or_subcategory(c) and cm.is_leaf(c)}
    assert result.added == IcdCode.objects.count() == len(icd10_entries) > 95_000
    assert IcdCode.objects.filter(billable=True).count() == len(leaves) == 74_719  # CMS's FY2026 count
    assert IcdCode.objects.filter(parent="").count() == IcdCode.objects.filter(compact__regex=r"^...$").count()
    e119, e11, i10 = (IcdCode.objects.get(code=c) for c in ("E11.9", "E11", "I10"))
    assert e119.billable and e119.parent == "E11" and e119.chapter == 4 and e119.release == "2026"
    assert not e11.billable and e11.parent == "" and e11.description == "Type 2 diabetes mellitus"
    assert i10.billable and i10.description == "Essential (primary) hypertension" and i10.chapter == 9
    fracture = IcdCode.objects.get(code="S72.001A")
    assert fracture.billable and fracture.parent == "S72.001" and fracture.chapter == 19
    assert not IcdCode.objects.filter(code__in=["1", "A00-A09", "E08-E13"]).exists()  # no chapters or blocks
    assert IcdWord.objects.filter(word="diabetes", code=e119).exists()
    assert IcdVocabulary.objects.get(word="hypertension").codes == IcdWord.objects.filter(word="hypertension").count()
    # The second run of the same set changes nothing.
    before = IcdCode.objects.order_by("id").values_list("id", "description", "release").last()
    again = icd10_load(entries=icd10_entries, release="2026")
    assert (again.added, again.updated, again.deactivated, again.unchanged) == (0, 0, 0, len(icd10_entries))
    assert IcdCode.objects.order_by("id").values_list("id", "description", "release").last() == before


def test_loading_an_order_file_twice_changes_nothing_the_second_time(db):
    entries = order_file_entries(order_file(SAMPLE_ORDER).splitlines())
    first = icd10_load(entries=entries, release="2025")
    assert (first.added, first.updated, first.deactivated) == (len(SAMPLE_ORDER), 0, 0)
    snapshot = _snapshot()
    second = icd10_load(entries=entries, release="2025")
    assert (second.added, second.updated, second.deactivated, second.unchanged) == (0, 0, 0, len(SAMPLE_ORDER))
    assert _snapshot() == snapshot


def test_a_newer_release_adds_updates_and_deactivates_but_never_deletes(db):
    icd10_load(entries=order_file_entries(order_file(SAMPLE_ORDER).splitlines()), release="2025")
    dropped_id = IcdCode.objects.get(code="T36.0X1A").id
    newer = [row for row in SAMPLE_ORDER if not row[0].startswith("T36")]
    newer[0] = ("E11", False, "Type 2 diabetes mellitus (renamed)")
    newer.append(("E118", True, "Type 2 diabetes mellitus with unspecified complications"))
    result = icd10_load(entries=order_file_entries(order_file(newer).splitlines()), release="2026")
    assert (result.added, result.updated, result.deactivated) == (1, 1, 4)
    dropped = IcdCode.objects.get(code="T36.0X1A")
    assert dropped.id == dropped_id and not dropped.active and dropped.release == "2025"  # the last release that had it
    assert not IcdWord.objects.filter(code=dropped).exists()  # out of the search index
    assert IcdCode.objects.get(code="E11").description.endswith("(renamed)")
    assert IcdWord.objects.filter(code__code="E11", word="renamed").exists()
    assert set(IcdCode.objects.filter(active=True).values_list("release", flat=True)) == {"2026"}
    assert not IcdVocabulary.objects.filter(word="penicillins").exists()
    # The code comes back in a later release: active again, same row.
    back = icd10_load(entries=order_file_entries(order_file(SAMPLE_ORDER).splitlines()), release="2027")
    assert back.updated == 5 and back.deactivated == 1  # 4 T36 codes back, E11 renamed back; E11.8 dropped
    assert IcdCode.objects.get(code="T36.0X1A").active and IcdCode.objects.get(id=dropped_id).release == "2027"


def test_a_load_that_fails_changes_nothing(db):
    icd10_load(entries=order_file_entries(order_file(SAMPLE_ORDER).splitlines()), release="2025")
    snapshot = _snapshot()
    entries = order_file_entries(order_file(SAMPLE_ORDER[:4]).splitlines())
    with pytest.raises(ValueError, match="a release is needed"):
        icd10_load(entries=entries, release=" ")
    assert _snapshot() == snapshot


def test_the_command_loads_an_order_file_and_prints_the_counts(db, tmp_path):
    path = tmp_path / "icd10cm_order_2026.txt"
    path.write_text(order_file(SAMPLE_ORDER))
    out = io.StringIO()
    call_command("codes", "load-icd10", "--order-file", str(path), "--no-progress", stdout=out)
    assert (
        out.getvalue().strip()
        == f"ICD-10-CM release 2026: {len(SAMPLE_ORDER)} added, 0 updated, 0 deactivated, 0 unchanged."
    )
    out = io.StringIO()
    call_command("codes", "load-icd10", "--order-file", str(path), "--release", "2026", stdout=out)  # with the bar
    assert "0 added, 0 updated, 0 deactivated, 9 unchanged" in out.getvalue()


def test_the_command_refuses_a_bad_file_by_line_and_loads_nothing(db, tmp_path):
    icd10_load(entries=order_file_entries(order_file(SAMPLE_ORDER).splitlines()), release="2025")
    snapshot = _snapshot()
    path = tmp_path / "icd10cm_order_2026.txt"
    path.write_text(order_file(SAMPLE_ORDER[:3]) + order_line(4, "E11", False, "Type 2 diabetes mellitus, again"))
    with pytest.raises(CommandError) as caught:
        call_command("codes", "load-icd10", "--order-file", str(path), "--no-progress")
    assert (
        str(caught.value)
        == "icd10cm_order_2026.txt, line 4: E11 is listed twice (first on line 1). Nothing was loaded."
    )
    assert _snapshot() == snapshot


def test_the_command_needs_to_know_the_release_of_an_order_file(db, tmp_path):
    path = tmp_path / "codes.txt"
    path.write_text(order_file(SAMPLE_ORDER))
    with pytest.raises(CommandError, match="Say which release codes.txt is"):
        call_command("codes", "load-icd10", "--order-file", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("codes", "load-icd10", "--order-file", str(tmp_path / "missing_2026.txt"))
    assert not IcdCode.objects.exists()


def test_the_demo_loads_the_package_only_into_an_empty_table(db):
    from clinicdesk.codes.demo import demo_icd10
    from clinicdesk.core.demo import DemoOptions

    icd10_load(entries=order_file_entries(order_file(SAMPLE_ORDER).splitlines()), release="2025")
    assert demo_icd10(DemoOptions()) == "9 codes already loaded"
    assert IcdCode.objects.count() == len(SAMPLE_ORDER)
