"""An assistant and a search box, replayed against a live server on default settings.

The assistant sends what people ask a chat tool, whole sentences of 15 and 60 words, reads the
hits and fetches the top three packages' API pages, as the assistants written for
djangopackages.org do. The search box sends one request per keystroke while someone types.
Every request must be answered in full: 200, hits that answer the question, no refusal.
Self-contained: its own catalogue of real packages (their djangopackages.org titles, stars and
descriptions), served by pytest-django's live server.
"""

import pytest
import requests

pytestmark = pytest.mark.django_db(transaction=True)

CATALOGUE = [
    # slug, title, stars, description, category
    ("djangorestframework", "Django REST framework", 29_500, "Web APIs for Django, made easy."),
    ("django-rest-knox", "django-rest-knox", 1_200, "Authentication for django rest framework"),
    (
        "dj-rest-auth",
        "dj-rest-auth",
        1_750,
        "Authentication and registration endpoints for Django REST Framework.",
    ),
    (
        "djangorestframework-simplejwt",
        "djangorestframework-simplejwt",
        4_200,
        "A JSON Web Token authentication plugin for the Django REST Framework.",
    ),
    ("django-ninja", "Django Ninja", 8_000, "Fast Django REST framework, type hints based."),
    ("django-filter", "django-filter", 4_600, "A generic system for filtering Django QuerySets."),
    ("django-tables2", "django-tables2", 1_900, "Django app for creating HTML tables."),
    (
        "django-cacheops",
        "django-cacheops",
        2_150,
        "A slick ORM cache with automatic granular event-driven invalidation.",
    ),
    (
        "django-cachalot",
        "django-cachalot",
        1_300,
        "Caches your Django ORM queries and automatically invalidates them.",
    ),
    ("django-redis", "django-redis", 3_000, "Full featured redis cache backend for Django."),
    ("django-celery-beat", "django-celery-beat", 1_800, "Database-backed Periodic Tasks."),
    ("django-q2", "Django Q2", 600, "A multiprocessing distributed task queue for Django."),
    (
        "django-allauth",
        "django-allauth",
        9_800,
        "Integrated set of Django applications addressing authentication, registration, "
        "account management as well as 3rd party (social) account authentication.",
    ),
    (
        "wagtail",
        "Wagtail",
        19_000,
        "A Django content management system focused on flexibility and user experience.",
    ),
    ("django-cms", "django CMS", 10_500, "The easy-to-use and developer-friendly CMS."),
    (
        "django-debug-toolbar",
        "django-debug-toolbar",
        8_200,
        "A configurable set of panels that display debug information about the current request.",
    ),
    ("django-storages", "django-storages", 2_800, "Support for many storage backends in Django."),
    ("django-crispy-forms", "django-crispy-forms", 5_000, "The best way to have DRY forms."),
    (
        "django-anymail",
        "django-anymail",
        1_700,
        "Django email backends and webhooks for Amazon SES, Mailgun, Postmark, SendGrid and more.",
    ),
    ("channels", "Channels", 6_100, "Developer-friendly asynchrony for Django."),
]

QUESTIONS = [
    # (15 words, 60 words, a package a good answer lists in its top three)
    (
        "What is the best Django package for handling REST APIs with token authentication "
        "and pagination?",
        "Hello, I am building a web shop with Django and I would like some advice before I "
        "start: what is the best Django package for handling REST APIs with token "
        "authentication and pagination, that works well with the admin, is actively "
        "maintained, has good documentation and a friendly community, and which would you "
        "recommend to a small team like ours?",
        "djangorestframework",
    ),
    (
        "Which Django package can cache my ORM queries and invalidate them automatically when "
        "data changes?",
        "Our Django site has become slow because the same database queries run on every page "
        "view, and I am looking for a package that can cache the ORM queries and invalidate "
        "them automatically whenever the underlying data changes, without having to touch "
        "every view by hand; it should work with Redis and be stable enough for a busy "
        "production site.",
        "django-cacheops",
    ),
    (
        "How do I run periodic background tasks on a schedule in my Django project reliably?",
        "I maintain a Django project that needs to send reports every night and clean up "
        "stale records every hour, and right now we use cron jobs on one server which keeps "
        "breaking when we deploy; how do I run periodic background tasks on a schedule, "
        "stored in the database so that our admins can change them, simply and very reliably?",
        "django-celery-beat",
    ),
]


@pytest.fixture
def server(live_server):
    from categories.models import Category
    from packages.models import Package

    apps = Category.objects.create(title="App", slug="apps", title_plural="Apps")
    for slug, title, stars, description in CATALOGUE:
        Package.objects.create(
            slug=slug,
            title=title,
            category=apps,
            repo_watchers=stars,
            repo_description=description,
            repo_url=f"https://github.com/example/{slug}",
        )
    return live_server.url


def _search(session, base, text):
    response = session.get(f"{base}/api/v4/search/", params={"q": text}, timeout=10)
    assert response.status_code == 200, (text, response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("application/json")
    return response


@pytest.mark.parametrize("length", [15, 60])
def test_an_assistant_gets_full_answers_to_whole_questions(server, length):
    session = requests.Session()
    for short, long, expected in QUESTIONS:
        question = short if length == 15 else long
        assert len(question.split()) == length, question

        response = _search(session, server, question)

        hits = response.json()
        slugs = [hit["slug"] for hit in hits]
        assert expected in slugs[:3], (question, slugs)
        assert response.headers["X-Search-Terms"], question
        assert all(hit["url"].startswith(server) for hit in hits)
        for hit in hits[:3]:
            detail = session.get(hit["url"], timeout=10)
            assert detail.status_code == 200, (hit["url"], detail.status_code)
            assert detail.json()["slug"] == hit["slug"]


def test_a_search_box_answers_every_keystroke(server):
    session = requests.Session()
    typed = "django rest framework"
    answers = {}
    for end in range(1, len(typed) + 1):
        text = typed[:end]
        answers[text] = [hit["slug"] for hit in _search(session, server, text).json()]

    # Once the second word has begun, the framework is among the first hits, and the whole
    # name puts it first.
    for text, slugs in answers.items():
        if len(text) >= len("django r"):
            assert "djangorestframework" in slugs[:3], (text, slugs)
    assert answers[typed][0] == "djangorestframework"
    assert answers["django"], "a first word alone lists packages"


def test_a_search_box_forgives_a_slip_while_typing(server):
    session = requests.Session()
    typed = "wagtial"
    for end in range(1, len(typed) + 1):
        _search(session, server, typed[:end])

    slugs = [hit["slug"] for hit in _search(session, server, typed).json()]

    assert slugs[0] == "wagtail"
