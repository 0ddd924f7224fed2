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

from django.db import connection

from common.postgresql.prepared import prepared_cursor
from search.names import LAST_CHARACTER

MIN_WORD = 4
MAX_WORD = 30
_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"

_STARTED = -1  # in a look-up's rows: the word starts a name word
# The words that start a name word (or are one), then the spellings of the other words, each
# looked up in the words' index; the words and spellings are each sent as one text, split on
# the server (a long word has over a thousand spellings: passed one by one, they cost
# milliseconds, and so do the look-ups of a known word's).
_POSTGRES = """
    WITH started AS MATERIALIZED (
        SELECT w FROM unnest(string_to_array(%(words)s, ' ')) AS w WHERE EXISTS (
            SELECT 1 FROM packages_name_word WHERE word >= w AND word < w || %(last)s))
    SELECT word, packages FROM packages_name_word WHERE word = ANY(ARRAY(
        SELECT s.spelling FROM unnest(
            string_to_array(%(spellings)s, ' '), string_to_array(%(of_words)s, ' ')
        ) AS s(spelling, of_word) WHERE s.of_word NOT IN (SELECT w FROM started)))
    UNION ALL
    SELECT w, -1 FROM started
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
    near = {word: edits(word) for word in suspects}
    counts, started = _look_up(suspects, near)
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
    counts, _started = _look_up([], {word: {word} for word in words})
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


def _look_up(
    words: Sequence[str], spellings: dict[str, set[str]]
) -> tuple[dict[str, int], set[str]]:
    """(packages per spelling that is a name word, the words of `words` that start a name
    word). `spellings`: by the word they are spellings of, looked up unless it is started."""
    pairs = [(spelling, word) for word, near in spellings.items() for spelling in near]
    # Words and spellings are letters and digits (query words, their edits): no space in them.
    params: dict[str, str] = {"last": LAST_CHARACTER}
    if connection.vendor == "postgresql":
        sql = _POSTGRES
        params["words"] = " ".join(words)
        params["spellings"] = " ".join(spelling for spelling, _word in pairs)
        params["of_words"] = " ".join(word for _spelling, word in pairs)
    else:
        sql = _SQLITE
        params["words"] = json.dumps(list(words))
        params["spellings"] = json.dumps(sorted({spelling for spelling, _word in pairs}))
    counts, started = {}, set()
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        for spelling, count in cursor.fetchall():
            if count == _STARTED:
                started.add(spelling)
            else:
                counts[spelling] = count
    return counts, started
