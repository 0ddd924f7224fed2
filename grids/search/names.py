"""Search text as names are compared: normalizing, squashing, splitting into words, validating.

The one home of the normalization: `normalize_query`/`squash_query` here for text, and their SQL
twins in `grids.search.ranking` (and the stored columns of migrations `packages.0002` and
`packages.0008`), all from NAME_SEPARATORS and NAME_PREFIX.
"""

import re

from django.core.exceptions import ValidationError

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 10

# Words are runs of letters and digits; an emoji or other pictograph is a word of its own.
_WORD = re.compile(r"[^\W_]+|[\u2600-\u27bf\U0001f000-\U0010ffff]")
PLAIN_WORD = re.compile(r"[^\W_]+")
NAME_SEPARATORS = "-_."
NAME_PREFIX = "django "
JOINED_PREFIX = NAME_PREFIX.strip()
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


def is_one_edit_from(word: str, target: str) -> bool:
    """`word` is `target` with one letter changed, added or dropped, or two neighbours swapped."""
    if len(word) == len(target):
        diff = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        if len(diff) == 2 and diff[1] == diff[0] + 1:
            first, second = diff
            return word[first] == target[second] and word[second] == target[first]
        return len(diff) <= 1
    short, long = sorted((word, target), key=len)
    if len(long) - len(short) != 1:
        return False
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def validate_query(text: str | None) -> None:
    """Refuse queries too long to be a search (a 400 for the caller), with the reason."""
    text = text or ""
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError(f"At most {MAX_QUERY_CHARS} characters, not {len(text)}.")
    words = query_words(text)
    if len(words) > MAX_QUERY_WORDS:
        raise ValidationError(f"At most {MAX_QUERY_WORDS} words, not {len(words)}.")


def query_words(text: str | None) -> list[str]:
    """The words a query matches on; empty when there is nothing searchable."""
    return _WORD.findall(normalize_query(text))
