"""ICD-10-CM codes and their search index.

Codes are never deleted: a code dropped by a newer release becomes inactive, because problem
lists and claims written earlier still point at it. Only active codes are in the search index.
"""

from __future__ import annotations

from django.db import models


class IcdCode(models.Model):
    """One ICD-10-CM code: a category ("E11"), a subcategory ("E11.6") or a full code ("E11.65")."""

    code = models.CharField(max_length=8, unique=True, help_text='Dotted form, e.g. "E11.9".')
    # Undotted form ("E119"): what a typed code is compared with, by prefix.
    compact = models.CharField(max_length=7, unique=True)
    description = models.CharField(max_length=400)
    billable = models.BooleanField(help_text="Valid on a claim: a code with no codes below it.")
    parent = models.CharField(max_length=8, blank=True, help_text='The code one level up ("E11.6"); "" for a category.')
    chapter = models.PositiveSmallIntegerField()
    release = models.CharField(
        max_length=16, help_text='The latest code-set release that contained the code, e.g. "2026".'
    )
    active = models.BooleanField(default=True, help_text="False once a newer release dropped the code.")
    # Search order among word matches: shorter, more general descriptions first.
    search_rank = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = "ICD-10-CM code"
        indexes = [
            # Code prefix search ("E11" -> E11, E11.0, ...); on PostgreSQL LIKE 'E11%' needs this opclass.
            models.Index(fields=["compact"], name="codes_icd_compact_prefix", opclasses=["varchar_pattern_ops"]),
            # Word search over common words walks active codes in search order and stops at the limit.
            models.Index(fields=["search_rank", "id"], name="codes_icd_rank", condition=models.Q(active=True)),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    @property
    def category(self) -> str:
        """The three-character category the code belongs to ("E11" for "E11.65")."""
        return self.code[:3]


class IcdWord(models.Model):
    """One searchable word of one active code's description: the word -> code index.

    A word prefix ("diab") is one range scan of `codes_word_prefix`, which also holds the
    search order and the billable flag, so finding and ordering the codes of a word never
    reads the codes table. `codes_word_code` answers "does this code have a word starting
    with ...", the check made for the other words of a search.
    """

    word = models.CharField(max_length=40)
    code = models.ForeignKey(IcdCode, on_delete=models.CASCADE, related_name="+", db_index=False)
    search_rank = models.PositiveSmallIntegerField()
    billable = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(
                fields=["word", "search_rank", "code", "billable"],
                name="codes_word_prefix",
                opclasses=["varchar_pattern_ops", "int2_ops", "int8_ops", "bool_ops"],
            ),
            models.Index(
                fields=["code", "word"], name="codes_word_code", opclasses=["int8_ops", "varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.word


class IcdVocabulary(models.Model):
    """Every distinct indexed word and how many active codes have it. Rebuilt by each load that changes codes.

    About 7,500 rows: the search reads it to tell how many codes each typed prefix matches
    and which words it stands for, and picks its plan from that.
    """

    word = models.CharField(max_length=40, primary_key=True)
    codes = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["word", "codes"], name="codes_vocab_prefix", opclasses=["varchar_pattern_ops", "int4_ops"]
            )
        ]

    def __str__(self) -> str:
        return self.word
