"""What the package admin shows of a package's fetch state (packages.fetch.models): read-only
fields of the package's change page, mixed into packages.admin.PackageAdmin."""

from datetime import datetime

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.timezone import localtime

from packages.fetch.models import fetch_state_of
from packages.models import Package


class FetchStateFields:
    """The failure streak, last error and lease, by the names the change page lists."""

    @admin.display(description="Fetch error")
    def fetch_error(self, package: Package) -> str:
        return fetch_state_of(package).error or "-"

    @admin.display(description="Fetch error at")
    def fetch_error_at(self, package: Package) -> str:
        return _moment(fetch_state_of(package).error_at)

    @admin.display(description="Fetch failures")
    def fetch_failures(self, package: Package) -> int:
        return fetch_state_of(package).failures

    @admin.display(description="Fetch lease until")
    def fetch_lease_until(self, package: Package) -> str:
        return _moment(fetch_state_of(package).lease_until)


def _moment(moment: datetime | None) -> str:
    return date_format(localtime(moment), "DATETIME_FORMAT") if moment else "-"
