"""What a search matches on: the useful terms of any text, from a package name to a question.

Search takes any text; nothing about its length is refused. `choose_terms` reads the first
`MAX_TEXT_CHARS` characters, splits them into words (`search.names.query_words`: runs of
letters and digits, so control characters, NUL and punctuation only separate words), and keeps:

- the words that are not stop words (PostgreSQL's english list, `STOP_WORDS`), unless the text is
  nothing else (`it` still searches for `it`);
- of those, the words that are not about asking (`FILLER_WORDS`: `django`, `package`, `best`,
  `recommend`...), unless nothing else is left;
- at most `MAX_TERMS`, in the text's order: first the words the fewest package names hold
  (`search.spelling.name_counts`), then the longest (longer words are the rarer ones).

A text of more than `QUESTION_WORDS` words is a question: its hits may match only some of its
terms (`search`). `header_value` is what the API sends as `X-Search-Terms`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from search.names import normalize_query, query_words

MAX_TEXT_CHARS = 2_000
MAX_TERMS = 6
QUESTION_WORDS = 5


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# PostgreSQL's english stop words (tsearch_data/english.stop, the Snowball list): its english
# configuration drops them from documents, so they could never match there.
STOP_WORDS = _word_set(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now"""
)

# Words people use to ask for a package rather than to say what it does; in a catalogue of
# Django packages `django` and `package` tell nothing apart.
FILLER_WORDS = _word_set(
    """django python package packages app apps application library libraries module modules
    plugin plugins best good great better nice recommend recommended recommendation
    recommendations suggest suggestion suggestions looking look find need needs want wants use
    using used handle handles handling way ways help please thanks thank hello hi anyone know
    would could like really actually today something anything"""
)


@dataclass(frozen=True)
class Terms:
    """The words a search matches on (`words`), and the text as names are compared (`phrase`);
    `capped`: the text had more useful words than `MAX_TERMS`."""

    words: tuple[str, ...]
    phrase: str
    is_question: bool
    capped: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words)


def choose_terms(text: str | None, name_counts: Mapping[str, int] | None = None) -> Terms:
    """The terms a search for `text` matches on (see the module's docstring); with
    `name_counts` (how many package names hold each word), a capped text keeps the words of
    the fewest names first, then the longest."""
    text = (text or "")[:MAX_TEXT_CHARS]
    words = list(dict.fromkeys(query_words(text)))
    useful = [word for word in words if word not in STOP_WORDS] or words
    useful = [word for word in useful if word not in FILLER_WORDS] or useful
    capped: tuple[str, ...] = ()
    if len(useful) > MAX_TERMS:
        capped = tuple(useful)
        useful = _most_informative(useful, name_counts or {})
    return Terms(
        words=tuple(useful),
        phrase=normalize_query(text),
        is_question=len(words) > QUESTION_WORDS,
        capped=capped,
    )


def _most_informative(words: list[str], name_counts: Mapping[str, int]) -> list[str]:
    def rank(i: int) -> tuple[int, int, int]:
        word = words[i]
        if word in name_counts:
            return (0, name_counts[word], -len(word))
        return (1, 0, -len(word))

    kept = sorted(range(len(words)), key=rank)[:MAX_TERMS]
    return [words[i] for i in sorted(kept)]


def header_value(terms: Terms) -> str:
    """`X-Search-Terms`: the terms, space-separated, each percent-encoded (UTF-8) as in a URL."""
    return " ".join(quote(word, safe="") for word in terms.words)
