"""Search takes any text: whole questions answer 200 with the packages they ask about, long
queries keep their most useful terms and name them in `X-Search-Terms`, and the list filters'
`q` takes the same text."""

from urllib.parse import unquote

import pytest

from tests.factories import CategoryFactory, PackageFactory

pytestmark = pytest.mark.django_db

SIXTY_WORDS = (
    "Hello, I am building a web shop with Django and I would like some advice before "
    "I start: what is the best Django package for handling REST APIs with token "
    "authentication and pagination, that works well with the admin, is actively maintained, "
    "has good documentation and a friendly community, and which would you recommend to a "
    "small team like ours?"
)
FIFTEEN_WORDS = (
    "What is the best Django package for handling REST APIs with token authentication and "
    "pagination?"
)


@pytest.fixture
def catalogue():
    apps = CategoryFactory(title="App", slug="apps")
    PackageFactory(
        title="Django REST framework",
        slug="djangorestframework",
        category=apps,
        repo_watchers=27_000,
        repo_description="Web APIs for Django, with authentication policies and pagination.",
    )
    PackageFactory(
        title="django-rest-knox",
        slug="django-rest-knox",
        category=apps,
        repo_watchers=1_100,
        repo_description="Authentication module for Django rest auth.",
    )
    PackageFactory(
        title="django-tables2",
        slug="django-tables2",
        category=apps,
        repo_watchers=1_800,
        repo_description="Django app for creating HTML tables, with pagination.",
    )
    PackageFactory(
        title="django-shop",
        slug="django-shop",
        category=apps,
        repo_watchers=3_000,
        repo_description="A Django based shop system.",
    )
    PackageFactory(
        title="wagtail",
        slug="wagtail",
        category=apps,
        repo_watchers=18_000,
        repo_description="A Django content management system focused on flexibility.",
    )


def _get(client, query, **params):
    response = client.get("/api/v4/search/", {"q": query, **params})
    assert response.status_code == 200, response.content
    return response


def _terms(response):
    return [unquote(term) for term in response["X-Search-Terms"].split(" ")]


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("question", [FIFTEEN_WORDS, SIXTY_WORDS])
def test_a_whole_question_answers_200_with_the_package_it_asks_about_first(client, question):
    assert len(question.split()) in (15, 60)

    slugs = [hit["slug"] for hit in _get(client, question).json()]

    assert slugs[0] == "djangorestframework"
    assert "wagtail" not in slugs


@pytest.mark.usefixtures("catalogue")
def test_a_question_uses_its_informative_words_and_names_them_in_a_header(client):
    response = _get(client, FIFTEEN_WORDS)

    assert _terms(response) == ["rest", "apis", "token", "authentication", "pagination"]


@pytest.mark.usefixtures("catalogue")
def test_a_very_long_question_keeps_at_most_six_terms(client):
    terms = _terms(_get(client, SIXTY_WORDS))

    assert len(terms) == 6
    assert {"authentication", "pagination", "documentation"} <= set(terms)
    assert not {"the", "with", "package", "django", "best"} & set(terms)


def test_a_short_query_keeps_its_words_and_says_so(client):
    response = _get(client, "rest framework")

    assert _terms(response) == ["rest", "framework"]


def test_a_query_of_stop_words_alone_keeps_them(client):
    PackageFactory(title="it", slug="it", repo_description="Nothing else.")

    response = _get(client, "it")

    assert _terms(response) == ["it"]
    assert [hit["slug"] for hit in response.json()] == ["it"]


def test_terms_outside_ascii_are_percent_encoded_in_the_header(client):
    response = _get(client, "café שלום")

    assert response["X-Search-Terms"] == "caf%C3%A9 %D7%A9%D7%9C%D7%95%D7%9D"
    assert _terms(response) == ["café", "שלום"]


def test_an_empty_query_names_no_terms(client):
    assert _get(client, "   ")["X-Search-Terms"] == ""


@pytest.mark.parametrize(
    "query",
    ["x" * 5_000, " ".join(["word"] * 500), "django\x00filter\x1b[31m\x7f", "\u202e\u200b rest"],
)
def test_any_text_answers_200(client, query):
    PackageFactory(title="django-filter", slug="django-filter")

    _get(client, query)


@pytest.mark.parametrize("raw", ["%ED%A0%80+filter", "%FF%FE", "%C0%80filter", "filter%00%00"])
def test_bytes_that_are_not_utf8_answer_200(client, raw):
    PackageFactory(title="django-filter", slug="django-filter")

    response = client.get(f"/api/v4/search/?q={raw}")

    assert response.status_code == 200, response.content


@pytest.mark.usefixtures("catalogue")
def test_the_list_filter_takes_a_whole_question_too(client):
    response = client.get("/api/v4/packages/", {"q": SIXTY_WORDS})

    assert response.status_code == 200, response.content


@pytest.mark.usefixtures("catalogue")
def test_a_repeated_answer_names_the_same_terms(client):
    first = _get(client, SIXTY_WORDS)

    again = _get(client, SIXTY_WORDS)

    assert again.content == first.content
    assert again["X-Search-Terms"] == first["X-Search-Terms"] != ""
