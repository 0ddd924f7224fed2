"""The words a search matches on, and near spellings: pure functions, then the vocabulary."""

import pytest

from search import spelling
from search.terms import MAX_TERMS, choose_terms, header_value
from tests.factories import PackageFactory


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("rest framework", ("rest", "framework")),
        ("django-rest-framework", ("rest", "framework")),
        ("the best package for caching", ("caching",)),
        ("django", ("django",)),
        ("it", ("it",)),
        ("the it", ("the", "it")),
        ("cache cache CACHE", ("cache",)),
        ("django\x00filter\x1b", ("filter",)),
        ("", ()),
        ("🦄 forms", ("🦄", "forms")),
    ],
)
def test_the_words_a_query_matches_on(text, words):
    assert choose_terms(text).words == words


def test_a_text_of_more_than_five_words_is_a_question():
    assert not choose_terms("one two three four five").is_question
    assert choose_terms("one two three four five six").is_question


def test_a_long_text_keeps_the_longest_words_in_their_order():
    terms = choose_terms("a bb ccc dddd eeeee ffffff ggggggg hhhhhhhh iiiiiiiii")

    assert terms.words == ("dddd", "eeeee", "ffffff", "ggggggg", "hhhhhhhh", "iiiiiiiii")
    assert len(terms.capped) == 8


def test_name_counts_put_the_rarest_name_words_first():
    text = "rest admin authentication pagination documentation maintained community"

    terms = choose_terms(text, {"rest": 5, "admin": 9, "community": 400})

    assert len(terms.words) == MAX_TERMS
    assert terms.words == (
        "rest",
        "admin",
        "authentication",
        "pagination",
        "documentation",
        "community",
    )


def test_only_the_first_characters_of_a_huge_text_are_read():
    assert choose_terms("x " * 10_000 + "needle").words == ("x",)


def test_the_header_percent_encodes_each_term():
    assert header_value(choose_terms("Café REST 100%")) == "caf%C3%A9 rest 100"


@pytest.mark.parametrize(
    ("word", "near"),
    [
        ("djnago", "django"),
        ("dajngo", "django"),
        ("djang", "django"),
        ("djangoo", "django"),
        ("dxango", "django"),
        ("fliter", "filter"),
    ],
)
def test_one_edit_away(word, near):
    assert near in spelling.edits(word)
    assert word not in spelling.edits(word)


def test_two_edits_away_is_not_near():
    assert "django" not in spelling.edits("djngao")


@pytest.mark.django_db
def test_a_word_is_corrected_to_the_name_word_most_packages_hold():
    PackageFactory(title="django-filter", slug="django-filter")
    PackageFactory(title="filter-tools", slug="filter-tools")
    PackageFactory(title="django-fixter", slug="django-fixter")

    assert spelling.correct(["fiter", "djnago"]) == ["filter", "django"]


@pytest.mark.django_db
def test_name_words_words_being_typed_and_short_words_are_left_alone():
    PackageFactory(title="django-filter", slug="django-filter")

    assert spelling.correct(["filter", "filt", "fil", "zzzzzz"]) == [
        "filter",
        "filt",
        "fil",
        "zzzzzz",
    ]


@pytest.mark.django_db
def test_name_counts_count_packages_not_mentions():
    PackageFactory(title="django-filter", slug="django-filter")
    PackageFactory(title="filter-filter", slug="filter-filter")

    assert spelling.name_counts(["filter", "django", "nowhere"]) == {"filter": 2, "django": 1}
