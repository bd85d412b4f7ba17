"""Reading ICD-10-CM: search as you type, one code by its code.

`icd10_search` answers from indexes only, whatever the size of the code set:

- A code or its start ("E11", "e11.9", "E119") is one range scan of the undotted codes.
- Words ("diab mell typ 2") use the word -> code index. Each typed word is a prefix; a code
  matches when every word prefixes some word of its description. The small vocabulary table
  tells, for each typed word, how many codes it matches and which indexed words it stands
  for, and the plan follows from that:

  * `few`: the rarest word matches at most FEW_CODES codes. Read them all (one index range),
    keep those that also have the other words (one index probe each), sort, cut.
  * `ordered`: some word stands for at most ORDERED_WORDS indexed words ("fracture",
    "sequ"). Walk each of those words' codes in search order (the index is in that order) and
    stop at the limit: common words find their matches early, and a walk never reads more
    than that word's codes.
  * `scan`: every word is a short, common prefix ("fr", "le"), so most codes match them all.
    Walk all active codes in search order, stop at the limit.

Search order among word matches: shorter (more general) descriptions first, then the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from .models import IcdCode, IcdVocabulary, IcdWord
from .text import code_compact, code_is_well_formed, looks_like_code, query_words

MAX_QUERY = 100
MAX_WORDS = 8
FEW_CODES = 3000
ORDERED_WORDS = 12


@dataclass(frozen=True)
class _Term:
    text: str
    codes: int  # codes matching the prefix, summed over its words (a code may count twice)
    words: list[str]


def _like_prefix(column: str, text: str) -> tuple[str, list[str | int]]:
    """SQL matching `column` starting with `text` ([a-z0-9] only) as one index range scan."""
    if connection.vendor == "postgresql":
        return f"{column} LIKE %s", [text + "%"]  # through the varchar_pattern_ops index
    # SQLite's LIKE ignores case and so cannot use the index; a range on the raw bytes can.
    return f"{column} >= %s AND {column} < %s", [text, text + "\x7f"]


def _terms(words: list[str]) -> list[_Term]:
    terms = []
    for word in words:
        where, params = _like_prefix("word", word)
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT word, codes FROM "{IcdVocabulary._meta.db_table}" WHERE {where}', params)  # noqa: S608
            rows = cursor.fetchall()
        terms.append(_Term(word, sum(n for _, n in rows), [w for w, _ in rows]))
    return terms


def _has_word(code_column: str, term: _Term) -> tuple[str, list[str | int]]:
    where, params = _like_prefix("x.word", term.text)
    table = IcdWord._meta.db_table
    return f'EXISTS (SELECT 1 FROM "{table}" x WHERE x.code_id = {code_column} AND {where})', params  # noqa: S608


def _word_search(words: list[str], *, billable_only: bool, limit: int) -> list[int]:
    """Ids of active codes whose descriptions have every word (as a prefix), in search order."""
    terms = _terms(words)
    if not terms or min(t.codes for t in terms) == 0:
        return []
    words_table = IcdWord._meta.db_table
    terms.sort(key=lambda t: t.codes)
    rarest = terms[0]
    walkable = [t for t in terms if len(t.words) <= ORDERED_WORDS]
    billable = " AND w.billable" if billable_only else ""
    if rarest.codes <= FEW_CODES:
        driver, plan = rarest, "few"
    elif walkable:
        driver, plan = walkable[0], "ordered"
    else:
        driver, plan = rarest, "scan"
    others = [t for t in terms if t is not driver]
    checks: list[str] = []
    check_params: list[str | int] = []
    for term in others:
        sql, params = _has_word("w.code_id", term)
        checks.append(sql)
        check_params += params
    check_sql = "".join(f" AND {c}" for c in checks)
    if plan == "few":
        where, params = _like_prefix("w.word", driver.text)
        sql = (
            f'SELECT w.code_id, min(w.search_rank) AS r FROM "{words_table}" w WHERE {where}{billable}{check_sql} '  # noqa: S608
            "GROUP BY w.code_id ORDER BY r, w.code_id LIMIT %s"
        )
        params = [*params, *check_params, limit]
    elif plan == "ordered":
        parts: list[str] = []
        params = []
        for word in driver.words:
            parts.append(
                f'SELECT * FROM (SELECT w.code_id, w.search_rank FROM "{words_table}" w WHERE w.word = %s'  # noqa: S608
                f"{billable}{check_sql} ORDER BY w.search_rank, w.code_id LIMIT %s) AS p{len(parts)}"
            )
            params += [word, *check_params, limit]
        sql = (
            f"SELECT code_id, min(search_rank) AS r FROM ({' UNION ALL '.join(parts)}) AS walk "  # noqa: S608
            "GROUP BY code_id ORDER BY r, code_id LIMIT %s"
        )
        params.append(limit)
    else:
        checks, params = [], []
        for term in terms:
            sql, term_params = _has_word("c.id", term)
            checks.append(sql)
            params += term_params
        sql = (
            f'SELECT c.id, c.search_rank FROM "{IcdCode._meta.db_table}" c WHERE c.active'  # noqa: S608
            f"{' AND c.billable' if billable_only else ''}{''.join(f' AND {c}' for c in checks)} "
            "ORDER BY c.search_rank, c.id LIMIT %s"
        )
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _code_search(compact: str, *, billable_only: bool, limit: int) -> list[IcdCode]:
    """Active codes starting with `compact`, the code itself first, then in code order."""
    codes = IcdCode.objects.filter(active=True)
    codes = codes.filter(compact__gte=compact, compact__lt=compact + "\x7f") if connection.vendor == "sqlite" else (
        codes.filter(compact__startswith=compact)
    )  # fmt: skip
    if billable_only:
        codes = codes.filter(billable=True)
    return list(codes.order_by("compact")[:limit])


def icd10_search(query: str, *, billable_only: bool = False, limit: int = 20) -> list[IcdCode]:
    """Active ICD-10-CM codes for what was typed so far, best first; at most `limit`.

    A query that could be a code ("E11", "e11.9", "E119", "E") lists that code and the codes
    starting with it, in code order. Words ("type 2 diab") follow, each typed word matching
    the start of some word of the description, in any order. Inactive codes never appear;
    `billable_only` leaves out categories and other headers. An empty query finds nothing.
    """
    text = query.strip()[:MAX_QUERY]
    limit = max(0, min(limit, 100))
    if not text or not limit:
        return []
    found: list[IcdCode] = []
    if looks_like_code(text):
        found = _code_search(code_compact(text), billable_only=billable_only, limit=limit)
        if len(found) >= limit:
            return found
    words = query_words(text)[:MAX_WORDS]
    if not words:
        return found
    ids = _word_search(words, billable_only=billable_only, limit=limit)
    seen = {c.id for c in found}
    by_id = IcdCode.objects.filter(active=True).in_bulk([i for i in ids if i not in seen])
    found += [by_id[i] for i in ids if i in by_id]
    return found[:limit]


def icd10_code(code: str) -> IcdCode | None:
    """The code ("E11.9", "e119", " E11.9 "), active or not, or None when there is no such code."""
    compact = code_compact(code)
    if not code_is_well_formed(compact):
        return None
    return IcdCode.objects.filter(compact=compact).first()
