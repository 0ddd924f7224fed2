"""Admin for packages and their PyPI versions: curate, filter, and see fetched stats read-only.

Columns and labels use the curators' words (Stars, Forks, Last commit, Score), and the change
list keeps to the columns that fit a 1400 px window.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from packages.editing import save_new_package, update_package
from packages.fetch.admin import FetchStateFields
from packages.fetch.models import fetch_state_of
from packages.fetch.run import reset_failures
from packages.figures import summary
from packages.models import (
    HttpValidator,
    Package,
    PackageQuerySet,
    Usage,
    Version,
)
from packages.repositories import supported_repo_hosts
from packages.tasks import RefreshQueueError, enqueue_refresh

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _UsageCount(TypedDict):
    usage_count: int


FETCHED_FIELDS = [
    "repo_watchers",
    "repo_forks",
    "participants",
    "commits_over_52",
    "last_updated",
    "repo_archived_at",
    "repo_missing_at",
    "pypi_version",
    "pypi_license",
    "pypi_requires_python",
    "pypi_development_status",
    "pypi_classifiers",
    "pypi_downloads",
    "pypi_downloads_at",
    "supports_python3",
    "score",
    "last_fetched",
    "fetch_error",
    "fetch_error_at",
    "fetch_failures",
    "fetch_lease_until",
    "created",
    "modified",
    "created_by",
    "last_modified_by",
]


class IsSetFilter(admin.SimpleListFilter):
    """Yes/no filter on whether a nullable or blank field holds a value."""

    field = ""
    empty: str | None = None

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        lookup: dict[str, object] = (
            {f"{self.field}__isnull": True} if self.empty is None else {self.field: self.empty}
        )
        if self.value() == "yes":
            return queryset.exclude(**lookup)
        if self.value() == "no":
            return queryset.filter(**lookup)
        return queryset


class ArchivedFilter(IsSetFilter):
    title = "archived"
    parameter_name = "archived"
    field = "repo_archived_at"


class DeprecatedFilter(IsSetFilter):
    title = "deprecated"
    parameter_name = "deprecated"
    field = "deprecated_at"


class HasPyPIFilter(IsSetFilter):
    title = "has PyPI"
    parameter_name = "has_pypi"
    field = "pypi_url"
    empty = ""


class FailingFilter(admin.SimpleListFilter):
    title = "fetch failing"
    parameter_name = "failing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(fetch_state__failures__gt=0)
        if self.value() == "no":
            return queryset.exclude(fetch_state__failures__gt=0)
        return queryset


class RepoHostFilter(admin.SimpleListFilter):
    """Whether the stats fetcher can read the repository: a forge it has a client for."""

    title = "repository host"
    parameter_name = "repo_host"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("supported", "Supported forge"),
            ("unsupported", "Unsupported host (no repo stats)"),
            ("none", "No repository"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        on_forge = Q()
        for host in supported_repo_hosts():
            on_forge |= Q(repo_url__startswith=f"https://{host}/")
        if self.value() == "supported":
            return queryset.filter(on_forge)
        if self.value() == "unsupported":
            return queryset.exclude(repo_url="").exclude(on_forge)
        if self.value() == "none":
            return queryset.filter(repo_url="")
        return queryset


class VersionInline(admin.TabularInline):
    model = Version
    extra = 0
    fields = readonly_fields = (
        "number",
        "upload_time",
        "is_yanked",
        "is_prerelease",
        "requires_python",
    )
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PackageAdminForm(forms.ModelForm):
    class Meta:
        labels = {
            "repo_url": "Repository URL",
            "pypi_url": "PyPI project",
            "documentation_url": "Documentation URL",
            "repo_description": "Description",
            "deprecated_at": "Deprecated since",
            "replacement": "Use instead",
        }


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else "-"


@admin.register(Package)
class PackageAdmin(FetchStateFields, admin.ModelAdmin):
    form = PackageAdminForm
    # What a curator scans for, narrow enough for 1400 px beside the filters (the category
    # is one of them; downloads are on each package's page).
    list_display = [
        "title",
        "stars",
        "score_out_of_100",
        "last_commit",
        "last_fetched_on",
        "failures",
        "refresh_status",
        "usage_count",
    ]
    list_filter = [
        "category",
        ArchivedFilter,
        DeprecatedFilter,
        HasPyPIFilter,
        FailingFilter,
        RepoHostFilter,
    ]
    list_select_related = ["category", "fetch_state"]
    search_fields = ["title", "slug", "repo_url", "repo_description", "pypi_url"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["category", "replacement"]
    readonly_fields = [
        "stats_source",
        *FETCHED_FIELDS,
        "stars",
        "forks",
        "last_commit",
        "score_out_of_100",
        "downloads",
        "downloads_counted",
        "latest_release",
        "refresh_status",
        "refresh_error",
    ]
    date_hierarchy = "created"
    inlines = [VersionInline]
    actions = ["fetch_stats_now", "reset_fetch_failures"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["title", "slug", "category", "stats_source"]}),
        ("Where it lives", {"fields": ["repo_url", "pypi_url", "documentation_url"]}),
        ("Curation", {"fields": ["repo_description", "deprecated_at", "replacement"]}),
        (
            "Repository stats (fetched)",
            {
                "fields": [
                    "stars",
                    "forks",
                    "last_commit",
                    "repo_archived_at",
                    "repo_missing_at",
                    "participants",
                    "commits_over_52",
                ]
            },
        ),
        (
            "PyPI (fetched)",
            {
                "fields": [
                    "latest_release",
                    "downloads",
                    "downloads_counted",
                    "pypi_license",
                    "pypi_requires_python",
                    "pypi_development_status",
                    "supports_python3",
                    "pypi_classifiers",
                ]
            },
        ),
        (
            "Fetching",
            {
                "fields": [
                    "score_out_of_100",
                    "last_fetched",
                    "fetch_error",
                    "fetch_error_at",
                    "fetch_failures",
                    "fetch_lease_until",
                    "refresh_status",
                    "refresh_error",
                ]
            },
        ),
        ("History", {"fields": ["created", "modified", "created_by", "last_modified_by"]}),
    ]

    @admin.display(description="Stats")
    def stats_source(self, obj: Package) -> SafeString:
        """Per figure: sample (generated for the demo) or fetched, and when."""
        head, lines = summary(obj.figure_sources or {}, obj.last_fetched, obj.pypi_downloads_at)
        return format_html(
            "{}<ul>{}</ul>", head, format_html_join("", "<li>{}</li>", ((x,) for x in lines))
        )

    @admin.display(description="Stars", ordering="repo_watchers")
    def stars(self, package: Package) -> int:
        return package.repo_watchers

    @admin.display(description="Forks", ordering="repo_forks")
    def forks(self, package: Package) -> int:
        return package.repo_forks

    @admin.display(description="Last commit", ordering="last_updated")
    def last_commit(self, package: Package) -> str:
        return _day(package.last_updated)

    @admin.display(description="Score", ordering="score")
    def score_out_of_100(self, package: Package) -> str:
        return f"{package.score}/100"

    @admin.display(description="Latest release", ordering="pypi_version")
    def latest_release(self, package: Package) -> str:
        return package.pypi_version or "-"

    @admin.display(description="Downloads", ordering="pypi_downloads")
    def downloads(self, package: Package) -> int | str:
        """Last month's PyPI downloads; "unknown" until pypistats.org has answered once."""
        return package.pypi_downloads if package.pypi_downloads_at else "unknown"

    @admin.display(description="Downloads counted", ordering="pypi_downloads_at")
    def downloads_counted(self, package: Package) -> str:
        return _day(package.pypi_downloads_at)

    @admin.display(description="Last fetched", ordering="last_fetched")
    def last_fetched_on(self, package: Package) -> str:
        return _day(package.last_fetched)

    @admin.display(description="Failures", ordering="fetch_state__failures")
    def failures(self, package: Package) -> int:
        return fetch_state_of(package).failures

    @admin.action(description="Fetch stats now", permissions=["change"])
    def fetch_stats_now(self, request: HttpRequest, queryset: QuerySet[Package]) -> None:
        """Queue the refresh for a worker (packages.tasks); the request never fetches."""
        try:
            queued = enqueue_refresh(queryset.values_list("pk", flat=True), by="admin")
        except RefreshQueueError as exc:
            self.message_user(request, f"Could not queue: {exc}", messages.ERROR)
            return
        self.message_user(request, queued.message(), messages.SUCCESS)

    def get_queryset(self, request: HttpRequest) -> PackageQuerySet:
        return cast(PackageQuerySet, super().get_queryset(request)).with_usage_count()

    @admin.display(description="users", ordering="usage_count")
    def usage_count(self, obj: "WithAnnotations[Package, _UsageCount]") -> int:
        return obj.usage_count

    @admin.display(description="background refresh")
    def refresh_status(self, obj: Package) -> str:
        return fetch_state_of(obj).describe()

    @admin.display(description="last refresh error")
    def refresh_error(self, obj: Package) -> str:
        return fetch_state_of(obj).outcome_error or "-"

    @admin.action(description="Reset fetch failures", permissions=["change"])
    def reset_fetch_failures(self, request: HttpRequest, queryset: QuerySet[Package]) -> None:
        count = reset_failures(queryset)
        self.message_user(request, f"Reset the failure count of {count} package(s).")

    def save_model(
        self, request: HttpRequest, obj: Package, form: forms.ModelForm, change: bool
    ) -> None:
        """Through the API's editing services: only the changed columns are written, and a new
        repository or PyPI name queues a fetch."""
        if change:
            changes = {name: getattr(obj, name) for name in form.changed_data}
            update_package(package=obj, user=request.user, changes=changes)
        else:
            save_new_package(obj, user=request.user)


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    list_display = ["package", "number", "upload_time", "is_yanked", "is_prerelease"]
    list_filter = ["is_yanked", "is_prerelease"]
    list_select_related = ["package"]
    search_fields = ["package__title", "package__slug", "number"]
    autocomplete_fields = ["package"]
    date_hierarchy = "upload_time"


@admin.register(HttpValidator)
class HttpValidatorAdmin(admin.ModelAdmin):
    """The fetcher's conditional-request cache: plumbing, kept off the curators' index."""

    list_display = ["url", "etag", "last_modified", "stored_at"]
    search_fields = ["url"]
    readonly_fields = ["url", "etag", "last_modified", "body", "stored_at"]
    date_hierarchy = "stored_at"

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}


@admin.register(Usage)
class UsageAdmin(admin.ModelAdmin):
    list_display = ["package", "user", "created"]
    list_select_related = ["package", "user"]
    search_fields = ["package__title", "package__slug", "user__username"]
    autocomplete_fields = ["package", "user"]
    date_hierarchy = "created"
