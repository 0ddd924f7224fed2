"""Atom feeds (Django's syndication framework): the newest packages and the newest releases.

`/feeds/packages.atom` lists the 30 packages added last; `/feeds/releases.atom` the 30 PyPI
releases uploaded last across the catalogue (yanked ones left out). Entries link to the
package's browsable API page. Every text an entry carries goes through `common.text.xml_text`,
so a control character stored in a title or a description (typed before the rule, or by an
upstream) is left out instead of making the whole feed a 500.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from common.text import xml_text
from packages.models import Package, Version

FEED_ENTRIES = 30


def _xml_safe(value: Any) -> Any:
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, list | tuple):
        return [_xml_safe(item) for item in value]
    return value


class XmlSafeAtom1Feed(Atom1Feed):
    """Atom 1.0 whose every string (feed and entries) holds only characters XML can carry."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*_xml_safe(args), **{k: _xml_safe(v) for k, v in kwargs.items()})

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(*_xml_safe(args), **{k: _xml_safe(v) for k, v in kwargs.items()})


def _package_page(package_id: int) -> str:
    return f"{reverse('package-detail', kwargs={'pk': package_id})}?format=api"


class NewPackagesFeed(Feed[Package, None]):
    """The packages added to the catalogue last, newest first."""

    feed_type = XmlSafeAtom1Feed

    def title(self) -> str:
        return f"{settings.SITE_NAME}: new packages"

    def subtitle(self) -> str:
        return "The packages added to the catalogue most recently."

    def link(self) -> str:
        return f"{reverse('package-list')}?format=api&ordering=-created"

    def items(self) -> QuerySet[Package]:
        return Package.objects.select_related("category").order_by("-created", "-id")[:FEED_ENTRIES]

    def item_title(self, package: Package) -> str:
        return package.title

    def item_description(self, package: Package) -> str:
        return package.repo_description or f"A new {package.category.title.lower()} package."

    def item_link(self, package: Package) -> str:
        return _package_page(package.pk)

    def item_pubdate(self, package: Package) -> datetime:
        return package.created

    def item_updateddate(self, package: Package) -> datetime:
        return package.modified

    def item_categories(self, package: Package) -> list[str]:
        return [package.category.title]


class NewReleasesFeed(Feed[Version, None]):
    """The PyPI releases uploaded last across the catalogue, newest first."""

    feed_type = XmlSafeAtom1Feed

    def title(self) -> str:
        return f"{settings.SITE_NAME}: new releases"

    def subtitle(self) -> str:
        return "The newest PyPI releases of the catalogue's packages."

    def link(self) -> str:
        return reverse("api-root")

    def items(self) -> QuerySet[Version]:
        return (
            Version.objects.filter(is_yanked=False, upload_time__isnull=False)
            .select_related("package")
            .only("number", "upload_time", "is_prerelease", "package__title", "package__id")
            .order_by(F("upload_time").desc(), "-id")[:FEED_ENTRIES]
        )

    def item_title(self, version: Version) -> str:
        return f"{version.package.title} {version.number}"

    def item_description(self, version: Version) -> str:
        kind = "pre-release" if version.is_prerelease else "release"
        return f"{version.package.title} {version.number}, a new {kind} on PyPI."

    def item_link(self, version: Version) -> str:
        return _package_page(version.package_id)

    def item_guid(self, version: Version) -> str:
        # One package has many releases, so the link alone would repeat as the entry id.
        return f"urn:djangopackages:package:{version.package_id}:release:{version.number}"

    def item_guid_is_permalink(self, version: Version) -> bool:
        return False

    def item_pubdate(self, version: Version) -> datetime | None:
        return version.upload_time
