"""Edits people make to packages (through the API): who made them, and what must be refetched."""

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from packages.fetch.forges import forge_sites, parse_repo_url
from packages.models import Package

SLUG_MAX_LENGTH = 100


def unique_slug(model, title, *, max_length=SLUG_MAX_LENGTH, fallback="item"):
    """A free slug for `model` made from `title`: `name`, then `name-2`, `name-3`..."""
    base = slugify(title)[:max_length].strip("-_") or fallback
    taken = set(
        model.objects.filter(slug__startswith=base[: max_length - 4]).values_list("slug", flat=True)
    )
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = f"{base[: max_length - len(suffix)]}{suffix}"
    return candidate


def supported_repo_hosts():
    """The web hosts the stats fetcher has a client for (public forges and configured ones)."""
    sites = forge_sites(
        github_api_url=settings.GITHUB_API_URL,
        gitlab_api_url=settings.GITLAB_API_URL,
        bitbucket_api_url=settings.BITBUCKET_API_URL,
        codeberg_api_url=settings.CODEBERG_API_URL,
        gitlab_hosts=settings.GITLAB_HOSTS,
        forgejo_hosts=settings.FORGEJO_HOSTS,
    )
    return {site.host for site in sites}


def is_fetchable_repo(repo_url):
    """True when the fetcher will read stats for this (normalized) repository URL."""
    ref = parse_repo_url(repo_url)
    return ref is not None and ref.host in supported_repo_hosts()


@transaction.atomic
def create_package(
    *,
    user,
    category,
    title,
    slug="",
    repo_url="",
    pypi_url="",
    documentation_url="",
    repo_description="",
):
    """A new package, never fetched, so the next `fetch_stats` run fetches it first."""
    package = Package(
        category=category,
        title=title,
        slug=slug or unique_slug(Package, title, fallback="package"),
        repo_url=repo_url,
        pypi_url=pypi_url,
        documentation_url=documentation_url,
        repo_description=repo_description,
        created_by=user,
        last_modified_by=user,
    )
    package.save()
    return package


@transaction.atomic
def update_package(*, package, user, changes):
    """Apply `changes`; a new repository or PyPI name queues the package for a fetch."""
    if any(
        name in changes and changes[name] != getattr(package, name)
        for name in ("repo_url", "pypi_url")
    ):
        package.last_fetched = None
    for name, value in changes.items():
        setattr(package, name, value)
    package.last_modified_by = user
    package.save()
    return package


@transaction.atomic
def delete_package(*, package, user):
    package.delete()
