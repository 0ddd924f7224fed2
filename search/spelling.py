"""Near spellings: a query word no package name holds, read as the name word one edit away.

The vocabulary is every word of the packages' titles and slugs with how many packages hold it:
`packages_name_word`, kept by triggers on both databases (packages.0011).

`correct` looks every word up with all spellings one edit away (a letter dropped, added or
changed, or two neighbours swapped: Damerau distance 1), in one query. A word that is a name
word, or the start of one (still being typed), stays; one that is neither becomes the near
spelling the most packages hold (`djnago` -> `django`, `fliter` -> `filter`, `wagtial` ->
`wagtail`, `framwork` -> `framework`). Words shorter than `MIN_WORD` are left alone: too many
names are one edit from them.
"""

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection

from common.postgresql.prepared import prepared_cursor
from search.names import LAST_CHARACTER

MIN_WORD = 4
MAX_WORD = 30
_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"

_STARTED = -1  # in a look-up's rows: the word starts a name word
# Each query word with its spellings, sent as one text per word: whether the word starts a
# name word (or is one); then the spellings of the other words, split on the server and each
# found in the words' index (a long word has over a thousand spellings: passed as values of
# their own, or looked up for a word that is known, they cost milliseconds). A word of NULL:
# its spellings are looked up whatever.
_POSTGRES = """
    WITH asked AS MATERIALIZED (
        SELECT w, spellings, EXISTS (
            SELECT 1 FROM packages_name_word WHERE word >= w AND word < w || %(last)s
        ) AS started FROM unnest(%(words)s::text[], %(spellings)s::text[]) AS a(w, spellings))
    SELECT word, packages FROM packages_name_word WHERE word = ANY(ARRAY(
        SELECT unnest(string_to_array(spellings, ' ')) FROM asked WHERE NOT started))
    UNION ALL
    SELECT w, -1 FROM asked WHERE started
"""
_SQLITE = """
    SELECT word, packages FROM packages_name_word
    WHERE word IN (SELECT value FROM json_each(%(spellings)s))
    UNION ALL
    SELECT w.value, -1 FROM json_each(%(words)s) w WHERE EXISTS (
        SELECT 1 FROM packages_name_word WHERE word >= w.value AND word < w.value || %(last)s)
"""


def correct(words: Sequence[str]) -> list[str]:
    """`words`, each one no package name holds (nor starts) replaced by its near spelling."""
    suspects = [word for word in words if MIN_WORD <= len(word) <= MAX_WORD]
    if not suspects:
        return list(words)
    near: dict[str | None, set[str]] = {word: edits(word) for word in suspects}
    counts, started = _look_up(near)
    corrected = []
    for word in words:
        if word not in near or word in counts or word in started:
            corrected.append(word)
            continue
        found = [(counts[spelling], spelling) for spelling in near[word] if spelling in counts]
        # The most packages, then the first in alphabetical order: the same answer every time.
        corrected.append(min(found, key=lambda item: (-item[0], item[1]))[1] if found else word)
    return corrected


def name_counts(words: Sequence[str]) -> dict[str, int]:
    """How many packages' names hold each of `words` that any name holds (one query)."""
    counts, _started = _look_up({None: set(words)})
    return counts


def edits(word: str) -> set[str]:
    """Every spelling one edit from `word` (Damerau distance 1), `word` itself excluded."""
    letters = _LETTERS + "".join(sorted(set(word) - set(_LETTERS)))
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    spellings = {left + right[1:] for left, right in splits if right}
    spellings |= {
        left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1
    }
    spellings |= {left + c + right[1:] for left, right in splits if right for c in letters}
    spellings |= {left + c + right for left, right in splits for c in letters}
    spellings.discard(word)
    return spellings


def _look_up(spellings: dict[str | None, set[str]]) -> tuple[dict[str, int], set[str]]:
    """(packages per spelling that is a name word, the words that start a name word).
    `spellings`: by the word they are spellings of (None: none), looked up unless it starts
    a name word."""
    words = [word for word in spellings if word is not None]
    # Words and spellings are letters and digits (query words, their edits): no space in them.
    params: dict[str, Any] = {"last": LAST_CHARACTER}
    if connection.vendor == "postgresql":
        sql = _POSTGRES
        params["words"] = list(spellings)
        params["spellings"] = [" ".join(near) for near in spellings.values()]
    else:
        sql = _SQLITE
        params["words"] = json.dumps(words)
        params["spellings"] = json.dumps(sorted(set().union(*spellings.values())))
    counts, started = {}, set()
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        for spelling, count in cursor.fetchall():
            if count == _STARTED:
                started.add(spelling)
            else:
                counts[spelling] = count
    return counts, started
