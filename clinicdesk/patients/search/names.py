"""Name normalisation for search: one spelling per name, whatever was typed.

"Núñez-García" -> ["nunez", "garcia", "nunezgarcia"]; "O'Brien" -> ["o", "brien", "obrien"];
"Bill" -> canonical "william". Pure functions, no Django, so the index and the query side
can never disagree about what a name becomes.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not split into a base letter and an accent.
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_SPLIT = re.compile(r"[^a-z0-9]+")

# Common US given-name nicknames, as canonical name -> nicknames. A nickname may belong to
# several names (Chris, Alex, Sam); it then has several canonical forms.
_NICKNAMES: dict[str, tuple[str, ...]] = {
    "abigail": ("abby", "abbie", "gail"),
    "albert": ("al", "bert", "bertie"),
    "alexander": ("alex", "al", "sandy", "xander"),
    "alexandra": ("alex", "alexa", "sandra", "sandy", "lexi"),
    "alfred": ("al", "alf", "fred", "freddie"),
    "andrew": ("andy", "drew"),
    "anthony": ("tony",),
    "arthur": ("art", "artie"),
    "barbara": ("barb", "barbie", "babs"),
    "benjamin": ("ben", "benny", "benji"),
    "catherine": ("cathy", "cat", "kate", "katie", "kathy"),
    "charles": ("charlie", "chuck", "chas", "chaz"),
    "christina": ("chris", "tina", "christy"),
    "christopher": ("chris", "kit", "topher"),
    "cynthia": ("cindy",),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davey"),
    "deborah": ("deb", "debbie", "debby"),
    "donald": ("don", "donnie"),
    "dorothy": ("dot", "dottie", "dolly"),
    "edward": ("ed", "eddie", "ned", "ted", "teddy"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "betsy", "eliza", "libby", "lisa", "bess"),
    "eugene": ("gene",),
    "frances": ("fran", "frannie"),
    "francis": ("frank", "fran"),
    "frederick": ("fred", "freddie", "fritz"),
    "gerald": ("gerry", "jerry"),
    "gregory": ("greg",),
    "harold": ("hal", "harry"),
    "henry": ("hank", "harry", "hal"),
    "jacob": ("jake",),
    "james": ("jim", "jimmy", "jamie"),
    "jennifer": ("jen", "jenny", "jenn"),
    "jessica": ("jess", "jessie"),
    "john": ("jack", "johnny", "jon"),
    "jonathan": ("jon", "jonny"),
    "joseph": ("joe", "joey"),
    "joshua": ("josh",),
    "katherine": ("kate", "katie", "kathy", "kat", "kay"),
    "kenneth": ("ken", "kenny"),
    "lawrence": ("larry",),
    "leonard": ("leo", "len", "lenny"),
    "margaret": ("peggy", "maggie", "meg", "marge", "margie", "greta", "daisy"),
    "matthew": ("matt", "matty"),
    "michael": ("mike", "mikey", "mick"),
    "nathaniel": ("nate", "nat"),
    "nicholas": ("nick", "nicky"),
    "patricia": ("pat", "patty", "trish", "tricia"),
    "patrick": ("pat", "paddy"),
    "peter": ("pete",),
    "philip": ("phil",),
    "rebecca": ("becky", "becca"),
    "richard": ("rick", "ricky", "dick", "rich", "richie"),
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "ronald": ("ron", "ronnie"),
    "samantha": ("sam", "sammy"),
    "samuel": ("sam", "sammy"),
    "stephen": ("steve", "stevie"),
    "steven": ("steve", "stevie"),
    "susan": ("sue", "susie", "suzy"),
    "theodore": ("ted", "teddy", "theo"),
    "thomas": ("tom", "tommy"),
    "timothy": ("tim", "timmy"),
    "victoria": ("vicky", "tori"),
    "walter": ("walt",),
    "william": ("bill", "billy", "will", "willie", "liam"),
}

CANONICAL: dict[str, tuple[str, ...]] = {}
for _name, _nicks in _NICKNAMES.items():
    for _nick in _nicks:
        CANONICAL[_nick] = (*CANONICAL.get(_nick, ()), _name)


def fold(text: str) -> str:
    """Lower case without accents: "Núñez-García" -> "nunez-garcia"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_FOLD)


def name_tokens(text: str) -> list[str]:
    """The searchable words of one name field, each once, in order.

    Parts joined by a hyphen, apostrophe or space are words of their own, and the joined
    form is one too, so "O'Brien", "OBrien" and "o brien" all find the same person.
    """
    folded = fold(text)
    tokens: list[str] = []
    for chunk in folded.split():
        parts = [p for p in _SPLIT.split(chunk) if p]
        candidates = [*parts, "".join(parts)] if len(parts) > 1 else parts
        for token in candidates:
            if token and token not in tokens:
                tokens.append(token[:40])
    return tokens


def canonical_names(token: str) -> tuple[str, ...]:
    """The full names a nickname stands for ("bill" -> ("william",)); () when it is none."""
    return CANONICAL.get(token, ())


def nickname_forms(token: str) -> set[str]:
    """Every other spelling that names the same person: "bill" -> {"william"}, "william" -> {"william"}.

    Only the canonical names are returned: the index stores the canonical name beside every
    nickname, so looking up "william" also finds the Bills and the Willies.
    """
    return set(canonical_names(token)) | ({token} if token in _NICKNAMES else set())


_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def one_edit_away(token: str) -> set[str]:
    """Every string one deletion, insertion, substitution or adjacent swap away from `token`."""
    splits = [(token[:i], token[i:]) for i in range(len(token) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _ALPHABET if c != b[0]}
    inserts = {a + c + b for a, b in splits for c in _ALPHABET}
    return (deletes | swaps | replaces | inserts) - {token, ""}


def within_one_edit(a: str, b: str) -> bool:
    """True when `a` and `b` differ by at most one deletion, insertion, substitution or swap."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]
