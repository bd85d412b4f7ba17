from __future__ import annotations

import re

import pytest

from clinicdesk.codes.sources import CodeEntry, OrderFileError, order_file_entries, package_release
from clinicdesk.codes.text import CHAPTERS, code_compact, code_dotted, description_words, looks_like_code, query_words

from .conftest import SAMPLE_ORDER, order_file, order_line


def test_an_order_file_gives_dotted_codes_with_parents_chapters_and_the_long_description():
    entries = order_file_entries(order_file(SAMPLE_ORDER).splitlines(keepends=True))
    by_code = {e.code: e for e in entries}
    assert by_code["E11.65"] == CodeEntry("E11.65", "Type 2 diabetes mellitus with hyperglycemia", True, "E11.6", 4)
    assert by_code["E11"].parent == "" and not by_code["E11"].billable
    assert by_code["I10"] == CodeEntry("I10", "Essential (primary) hypertension", True, "", 9)
    # Placeholder X codes are no codes of their own: T36.0X1's parent is T36.0.
    assert by_code["T36.0X1"].parent == "T36.0" and by_code["T36.0X1A"].parent == "T36.0X1"
    assert by_code["T36.0X1A"].chapter == 19


def test_an_order_file_accepts_bytes_windows_line_ends_and_blank_lines():
    text = order_file(SAMPLE_ORDER).replace("\n", "\r\n") + "\r\n"
    entries = order_file_entries(line.encode() for line in text.splitlines(keepends=True))
    assert len(entries) == len(SAMPLE_ORDER)


@pytest.mark.parametrize(
    ("bad_line", "why"),
    [
        ("00003 E11.9   1 Type 2 diabetes\n", "too short"),
        (order_line(3, "E1!9", True, "Broken"), "'E1!9' in columns 7-13 is not an ICD-10-CM code"),
        (
            order_line(3, "E118", True, "x").replace(" 1 ", " 7 ", 1),
            "column 15 should be 0 (header) or 1 (billable), found '7'",
        ),
        (order_line(3, "E118", True, "").rstrip("\n") + " " * 3 + "\n", "E11.8 has no long description"),
        ("0000x" + order_line(3, "E118", True, "Fine")[5:], "columns 1-5 should be the order number"),
        (order_line(3, "E119", True, "Again"), "E11.9 is listed twice (first on line 2)"),
        (
            order_line(3, "K5090", True, "Crohn's disease, unspecified, without complications"),
            "K50.90 has no category: K50 is not in the file",
        ),
    ],
)
def test_a_bad_order_file_line_is_named_with_the_reason(bad_line, why):
    text = order_line(1, "E11", False, "Type 2 diabetes mellitus") + order_line(2, "E119", True, "T2DM") + bad_line
    with pytest.raises(OrderFileError) as caught:
        order_file_entries(text.splitlines(keepends=True))
    assert caught.value.line == 3 and why in caught.value.why


def test_a_billable_code_with_codes_below_it_is_refused():
    text = order_file([("E11", True, "Type 2 diabetes mellitus"), ("E119", True, "Without complications")])
    with pytest.raises(OrderFileError, match=r"line 1: E11 is marked billable \(1\) but E11.9 is below it"):
        order_file_entries(text.splitlines())


def test_text_that_is_not_utf8_is_refused_by_line():
    lines = [order_line(1, "I10", True, "Essential (primary) hypertension").encode(), b"\xff\xfe broken\n"]
    with pytest.raises(OrderFileError, match="line 2: not UTF-8"):
        order_file_entries(lines)


def test_the_chapter_table_agrees_with_the_packaged_chapters():
    import simple_icd_10_cm as cm

    for number, first, last in CHAPTERS:
        assert cm.get_description(str(number)).endswith(f"({first}-{last})"), number


def test_every_packaged_code_is_well_formed_and_in_its_chapter(icd10_entries):
    from clinicdesk.codes.text import chapter_of

    assert all(chapter_of(code_compact(e.code)) == e.chapter for e in icd10_entries)
    assert len({e.code for e in icd10_entries}) == len(icd10_entries)


def test_the_package_release_is_a_fiscal_year():
    assert re.fullmatch(r"20\d\d", package_release())


def test_codes_are_written_dotted_and_compared_undotted():
    assert code_compact(" e11.9 ") == "E119" and code_dotted("E119") == "E11.9" and code_dotted("I10") == "I10"
    assert [t for t in ("E", "e1", "E11", "e11.9", "E119", "QA0", "S72.001A") if not looks_like_code(t)] == []
    assert [t for t in ("dia", "fracture", "type 2", "E11 diabetes", "") if looks_like_code(t)] == []


def test_words_drop_apostrophes_and_stop_words():
    assert description_words("Alzheimer's disease with late onset") == {"alzheimers", "disease", "late", "onset"}
    assert query_words("Fracture of the femur, fracture") == ["fracture", "femur"]
