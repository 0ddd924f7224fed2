"""Admin for grids: packages and features inline, cells editable on their own page."""

from django.contrib import admin

from grids.models import Element, Feature, Grid, GridPackage


class GridPackageInline(admin.TabularInline):
    model = GridPackage
    extra = 0
    autocomplete_fields = ["package"]
    fields = ["package", "created"]
    readonly_fields = ["created"]


class FeatureInline(admin.StackedInline):
    model = Feature
    extra = 0
    fields = ["title", "description"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "is_locked", "header", "created", "modified"]
    list_filter = ["is_locked", "header"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created", "modified", "created_by", "last_modified_by"]
    date_hierarchy = "created"
    inlines = [FeatureInline, GridPackageInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.last_modified_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(GridPackage)
class GridPackageAdmin(admin.ModelAdmin):
    list_display = ["grid", "package", "created"]
    list_select_related = ["grid", "package"]
    search_fields = ["grid__title", "package__title", "package__slug"]
    autocomplete_fields = ["grid", "package"]
    date_hierarchy = "created"


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):
    list_display = ["title", "grid", "created"]
    list_select_related = ["grid"]
    list_filter = ["grid"]
    search_fields = ["title", "description", "grid__title"]
    autocomplete_fields = ["grid"]
    date_hierarchy = "created"


@admin.register(Element)
class ElementAdmin(admin.ModelAdmin):
    list_display = ["grid_package", "feature", "text", "modified"]
    list_select_related = ["grid_package__grid", "grid_package__package", "feature__grid"]
    list_filter = ["feature__grid"]
    search_fields = ["text", "feature__title", "grid_package__package__title"]
    autocomplete_fields = ["grid_package", "feature"]
    date_hierarchy = "created"
