"""Admin for grids: packages and features inline, cells editable on their own page."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from grids import editing
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
        """Through the API's editing services: only the changed columns are written."""
        if change:
            changes = {name: getattr(obj, name) for name in form.changed_data}
            editing.update_grid(grid=obj, user=request.user, changes=changes)
        else:
            editing.save_new_grid(obj, user=request.user)

    def save_formset(self, request, form, formset, change):
        """Rows and features through the editing services too (bounds, who touched the grid)."""
        grid, user = form.instance, request.user
        formset.save(commit=False)
        try:
            for obj in formset.deleted_objects:
                if isinstance(obj, GridPackage):
                    editing.remove_package(membership=obj, user=user)
                else:
                    editing.delete_feature(feature=obj, user=user)
            for obj, changed in formset.changed_objects:
                if isinstance(obj, GridPackage):
                    obj.save()
                else:
                    changes = {name: getattr(obj, name) for name in changed}
                    editing.update_feature(feature=obj, user=user, changes=changes)
            for obj in formset.new_objects:
                if isinstance(obj, GridPackage):
                    editing.add_package(grid=grid, package=obj.package, user=user)
                else:
                    editing.create_feature(
                        grid=grid, user=user, title=obj.title, description=obj.description
                    )
        except ValidationError as exc:  # a grid bound: say so, keep what fitted
            self.message_user(request, " ".join(exc.messages), messages.ERROR)


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
