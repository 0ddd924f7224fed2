"""Admin for categories."""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from categories.models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "title_plural", "show_pypi", "package_count", "modified"]
    list_filter = ["show_pypi"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "created"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return (
            super()
            .get_queryset(request)
            .annotate(package_count=Count("packages"))
            .order_by("title")
        )

    @admin.display(description="packages", ordering="package_count")
    def package_count(self, obj: Category) -> int:
        return int(getattr(obj, "package_count", 0))  # the annotation above
