"""Package model: constraints, normalization, ordering and the commits_over_52 shape."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError

from packages.models import Package
from tests.factories import CategoryFactory, PackageFactory

pytestmark = pytest.mark.django_db


def test_new_package_has_52_zero_weeks_and_no_participants():
    package = PackageFactory()
    package.refresh_from_db()
    assert package.commits_over_52 == [0] * 52
    assert package.participants == []


@pytest.mark.parametrize(
    "bad",
    [
        [0] * 51,
        [0] * 53,
        [1.5] + [0] * 51,
        ["1"] + [0] * 51,
        [-1] + [0] * 51,
        [True] + [0] * 51,
        {},
    ],
)
def test_commits_over_52_must_be_52_non_negative_ints(bad):
    package = PackageFactory()
    package.commits_over_52 = bad
    with pytest.raises(ValidationError):
        package.save()
    package.refresh_from_db()
    assert package.commits_over_52 == [0] * 52


def test_slug_is_unique():
    PackageFactory(slug="django-x")
    with pytest.raises(IntegrityError), transaction.atomic():
        PackageFactory(slug="django-x", repo_url="https://github.com/o/other")


def test_repo_url_is_unique_after_normalization():
    PackageFactory(repo_url="https://github.com/o/r")
    with pytest.raises(IntegrityError), transaction.atomic():
        PackageFactory(repo_url="http://www.GitHub.com/o/r.git/")


def test_many_packages_may_have_no_repo_url():
    PackageFactory(repo_url="")
    PackageFactory(repo_url="")
    assert Package.objects.filter(repo_url="").count() == 2


def test_repo_url_is_normalized_on_save():
    package = PackageFactory(repo_url="http://www.GitHub.com/Owner/Repo.git/")
    package.refresh_from_db()
    assert package.repo_url == "https://github.com/Owner/Repo"


def test_clean_normalizes_pypi_url_to_pep503_name():
    package = PackageFactory.build(
        category=CategoryFactory(), pypi_url="https://pypi.org/project/Django_REST.framework/"
    )
    package.full_clean()
    assert package.pypi_url == "django-rest-framework"


def test_clean_rejects_non_http_repo_url():
    package = PackageFactory.build(category=CategoryFactory(), repo_url="ftp://example.com/x")
    with pytest.raises(ValidationError) as excinfo:
        package.full_clean()
    assert "repo_url" in excinfo.value.message_dict


def test_category_in_use_cannot_be_deleted():
    package = PackageFactory()
    with pytest.raises(ProtectedError):
        package.category.delete()


def test_score_is_capped_at_100():
    package = PackageFactory()
    package.score = 101
    with pytest.raises(IntegrityError), transaction.atomic():
        package.save()


def test_default_ordering_is_by_title():
    PackageFactory(title="b-pkg", slug="b-pkg")
    PackageFactory(title="a-pkg", slug="a-pkg")
    assert list(Package.objects.values_list("slug", flat=True)) == ["a-pkg", "b-pkg"]


def test_stalest_first_puts_never_fetched_first():
    from django.utils import timezone

    now = timezone.now()
    old = PackageFactory(last_fetched=now - timezone.timedelta(days=3))
    fresh = PackageFactory(last_fetched=now)
    never = PackageFactory(last_fetched=None)
    assert list(Package.objects.stalest_first()) == [never, old, fresh]
    assert set(Package.objects.stale(now - timezone.timedelta(days=1))) == {never, old}


def test_modified_is_bumped_on_save_but_importer_can_keep_it():
    from django.utils import timezone

    package = PackageFactory()
    past = timezone.now() - timezone.timedelta(days=400)
    package.created = past
    package.modified = past
    package.save(touch=False)
    package.refresh_from_db()
    assert package.modified == past
    assert package.created == past
    package.title = "renamed"
    package.save()
    package.refresh_from_db()
    assert package.modified > past
    assert package.created == past


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("repo_url", "http://0x7f.0.0.1/o/r"),
        ("repo_url", "http://127.1/o/r"),
        ("documentation_url", "http://0177.0.0.1/docs/"),
        ("documentation_url", "http://169.254.169.254/latest/"),
    ],
)
def test_clean_refuses_ip_literals_so_the_admin_does_too(field, url):
    package = PackageFactory.build(category=CategoryFactory(), **{field: url})
    with pytest.raises(ValidationError) as excinfo:
        package.full_clean()
    assert any("IP address" in message for message in excinfo.value.message_dict[field])
