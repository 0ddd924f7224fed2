"""Search text as names are compared: normalizing, squashing, splitting into words.

The one home of the normalization: `normalize_query`/`squash_query` here for text, and their SQL
twins in `search.ranking` (and the stored columns of migrations `packages.0002` and
`packages.0008`), all from NAME_SEPARATORS and NAME_PREFIX.
"""

import re

# Words are runs of letters and digits; an emoji or other pictograph is a word of its own.
_WORD = re.compile(r"[^\W_]+|[\u2600-\u27bf\U0001f000-\U0010ffff]")
PLAIN_WORD = re.compile(r"[^\W_]+")
NAME_SEPARATORS = "-_."
NAME_PREFIX = "django "
JOINED_PREFIX = NAME_PREFIX.strip()
# Sorts after every character (byte by byte, too): `prefix <= text < prefix + LAST_CHARACTER`
# holds for every text that starts with `prefix` (unless this character follows it).
LAST_CHARACTER = "\U0010ffff"
_SEPARATORS = re.compile(rf"[{re.escape(NAME_SEPARATORS)}\s]+")


def normalize_query(text: str | None) -> str:
    """The query as names are compared: lower case, separators as single spaces, no `django `."""
    text = _SEPARATORS.sub(" ", (text or "").replace("\x00", " ").lower()).strip()
    if text.startswith(NAME_PREFIX) and len(text) > len(NAME_PREFIX):
        text = text[len(NAME_PREFIX) :]
    return text


def squash_query(text: str | None) -> str:
    """The query as squashed names are compared: normalized, no spaces, no leading `django`."""
    return squash(normalize_query(text))


def squash(normalized: str) -> str:
    """A normalized name or query without its spaces and without a leading `django`."""
    joined = normalized.replace(" ", "")
    if joined.startswith(JOINED_PREFIX) and len(joined) > len(JOINED_PREFIX):
        return joined[len(JOINED_PREFIX) :]
    return joined


def query_words(text: str | None) -> list[str]:
    """The words a query matches on; empty when there is nothing searchable."""
    return _WORD.findall(normalize_query(text))
