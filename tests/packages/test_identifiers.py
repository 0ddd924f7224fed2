"""Repository URL and PyPI name normalization."""

import pytest

from packages.identifiers import IdentifierError, normalize_pypi_name, normalize_repo_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://github.com/o/r", "https://github.com/o/r"),
        ("https://GitHub.com/o/r.git/", "https://github.com/o/r"),
        ("http://www.github.com/o/r/", "https://github.com/o/r"),
        ("https://gitlab.com/group/sub/project.git", "https://gitlab.com/group/sub/project"),
        ("https://codeberg.org/o/r?tab=readme#top", "https://codeberg.org/o/r"),
        ("  https://bitbucket.org/o/r  ", "https://bitbucket.org/o/r"),
        ("", ""),
    ],
)
def test_normalize_repo_url(raw, expected):
    assert normalize_repo_url(raw) == expected


@pytest.mark.parametrize("raw", ["ftp://github.com/o/r", "github.com/o/r", "javascript:alert(1)"])
def test_normalize_repo_url_rejects_non_http(raw):
    with pytest.raises(IdentifierError):
        normalize_repo_url(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Django_REST.framework", "django-rest-framework"),
        ("https://pypi.org/project/django-filter/", "django-filter"),
        ("https://pypi.python.org/pypi/Django-Foo", "django-foo"),
        ("", ""),
    ],
)
def test_normalize_pypi_name(raw, expected):
    assert normalize_pypi_name(raw) == expected


@pytest.mark.parametrize(
    "raw", ["https://example.com/project/x/", "not a name", "-leading", "https://pypi.org/"]
)
def test_normalize_pypi_name_rejects_garbage(raw):
    with pytest.raises(IdentifierError):
        normalize_pypi_name(raw)
