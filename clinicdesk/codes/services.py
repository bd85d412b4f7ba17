"""Loading a code set into the tables: `icd10_load`. Reference data, not PHI: no audit events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from clinicdesk.core.bulk import RowWriter

from .models import IcdCode, IcdVocabulary, IcdWord
from .sources import CodeEntry, entries_check
from .text import code_compact, description_words

BATCH = 500
Progress = Callable[[str, int, int], None]  # (stage, done in this call, stage total)


@dataclass(frozen=True)
class LoadResult:
    release: str
    added: int
    updated: int  # description, billable, parent or chapter changed, or an inactive code came back
    deactivated: int
    unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deactivated)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def _word_rows(writer: RowWriter, ids_entries: list[tuple[int, CodeEntry]]) -> list[tuple]:
    rows = []
    for pk, entry in ids_entries:
        rank = len(entry.description)
        rows += [writer.row({"word": w, "code_id": pk, "search_rank": rank, "billable": entry.billable})
                 for w in description_words(entry.description)]  # fmt: skip
    return rows


@transaction.atomic
def icd10_load(*, entries: list[CodeEntry], release: str, progress: Progress = _no_progress) -> LoadResult:
    """Make the ICD-10-CM table hold exactly `entries` as its active codes, from `release`.

    New codes are added; codes whose description, billable flag, parent or chapter differ are
    updated; active codes missing from `entries` become inactive (never deleted); an inactive
    code listed again becomes active. Every active code's `release` becomes `release`. Running
    it twice with the same entries changes nothing the second time. One transaction: any
    error leaves the table as it was. The word index is rewritten only for the codes that
    changed, and the vocabulary only when some did.
    """
    entries_check(entries)
    release = release.strip()
    if not release:
        raise ValueError("a release is needed, e.g. 2026")
    existing = {
        row[1]: row
        for row in IcdCode.objects.values_list("id", "code", "description", "billable", "parent", "chapter", "active")
    }
    new: list[CodeEntry] = []
    changed: list[tuple[int, CodeEntry]] = []
    unchanged = 0
    listed: set[str] = set()
    for entry in entries:
        listed.add(entry.code)
        row = existing.get(entry.code)
        if row is None:
            new.append(entry)
        elif row[2:] != (entry.description, entry.billable, entry.parent, entry.chapter, True):
            changed.append((row[0], entry))
        else:
            unchanged += 1
    gone = [row[0] for code, row in existing.items() if row[6] and code not in listed]
    total = len(new) + len(changed) + len(gone)
    progress("codes", 0, total)

    code_writer = RowWriter(IcdCode, ["id", "code", "compact", "description", "billable", "parent", "chapter",
                                      "release", "active", "search_rank"])  # fmt: skip
    word_writer = RowWriter(IcdWord, ["word", "code_id", "search_rank", "billable"])
    new_ids = code_writer.ids_reserve(len(new))
    for start in range(0, len(new), 5000):
        batch = list(zip(new_ids[start : start + 5000], new[start : start + 5000], strict=True))
        code_writer.insert(
            (pk, e.code, code_compact(e.code), e.description, e.billable, e.parent, e.chapter, release, True,
             len(e.description))
            for pk, e in batch
        )  # fmt: skip
        word_writer.insert(_word_rows(word_writer, batch))
        progress("codes", len(batch), total)
    for start in range(0, len(changed), BATCH):
        batch = changed[start : start + BATCH]
        ids = [pk for pk, _ in batch]
        IcdWord.objects.filter(code_id__in=ids).delete()
        IcdCode.objects.bulk_update(
            [
                IcdCode(
                    id=pk,
                    description=e.description,
                    billable=e.billable,
                    parent=e.parent,
                    chapter=e.chapter,
                    active=True,
                    search_rank=len(e.description),
                )
                for pk, e in batch
            ],  # fmt: skip
            ["description", "billable", "parent", "chapter", "active", "search_rank"],
        )
        word_writer.insert(_word_rows(word_writer, batch))
        progress("codes", len(batch), total)
    for start in range(0, len(gone), BATCH):
        ids = gone[start : start + BATCH]
        IcdWord.objects.filter(code_id__in=ids).delete()
        IcdCode.objects.filter(id__in=ids).update(active=False)
        progress("codes", len(ids), total)
    # The codes still listed now carry the new release; a code dropped keeps the last release that had it.
    IcdCode.objects.filter(active=True).exclude(release=release).update(release=release)
    if new or changed or gone:
        _vocabulary_rebuild()
    return LoadResult(release=release, added=len(new), updated=len(changed), deactivated=len(gone), unchanged=unchanged)


def _vocabulary_rebuild() -> None:
    words, vocabulary = IcdWord._meta.db_table, IcdVocabulary._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{vocabulary}"')  # noqa: S608 (names from _meta)
        cursor.execute(
            f'INSERT INTO "{vocabulary}" (word, codes) SELECT word, count(*) FROM "{words}" GROUP BY word'  # noqa: S608
        )
        # Fresh statistics, so the planner knows the index sizes right after a first load.
        for table in (IcdCode._meta.db_table, words, vocabulary):
            cursor.execute(f'ANALYZE "{table}"')
