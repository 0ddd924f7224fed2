"""Admin for grids: features and packages inline, one line each; every cell on one table page.

A grid's change page lists its features (columns) and packages (rows) compactly and links to
"Edit cells", a table of one text box per package and feature, saved through
`grids.editing.set_cell` like the API's cell edits; the grid, its rows and features are saved
through the same editing services.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from grids import editing
from grids.models import Element, Feature, Grid, GridPackage

HEADER_HELP = (
    "Mark the grid as featured. This service has no front page of its own: the mark is only "
    "published as the grid's “header” field in the API (filter with ?header=true), for sites "
    "that show featured grids, as djangopackages.org does on its home page."
)


class GridAdminForm(forms.ModelForm):
    class Meta:
        labels = {"header": "Featured", "is_locked": "Locked"}
        help_texts = {"header": HEADER_HELP}


class GridPackageInline(admin.TabularInline):
    model = GridPackage
    extra = 0
    autocomplete_fields = ["package"]
    fields = ["package", "created"]
    readonly_fields = ["created"]
    verbose_name = "package (row)"
    verbose_name_plural = "packages (rows)"


class FeatureInline(admin.TabularInline):
    model = Feature
    extra = 0
    fields = ["title", "description"]
    verbose_name = "feature (column)"
    verbose_name_plural = "features (columns)"
    # One line per feature, not a tall empty textarea each.
    formfield_overrides = {models.TextField: {"widget": forms.TextInput(attrs={"size": 80})}}


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    form = GridAdminForm
    list_display = ["title", "slug", "is_locked", "header", "created", "modified"]
    list_filter = ["is_locked", "header"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["cells", "created", "modified", "created_by", "last_modified_by"]
    fields = [
        "title",
        "slug",
        "description",
        "is_locked",
        "header",
        "cells",
        "created",
        "modified",
        "created_by",
        "last_modified_by",
    ]
    date_hierarchy = "created"
    inlines = [FeatureInline, GridPackageInline]

    @admin.display(description="Cells")
    def cells(self, grid: Grid) -> str:
        if grid.pk is None:
            return "Save the grid first, then fill its cells as a table."
        url = reverse("admin:grids_grid_cells", args=[grid.pk])
        return format_html('<a href="{}">Edit every cell as a table</a>', url)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:grid_id>/cells/",
                self.admin_site.admin_view(self.cells_view),
                name="grids_grid_cells",
            ),
            *super().get_urls(),
        ]

    def cells_view(self, request: HttpRequest, grid_id: int) -> HttpResponse:
        """One text box per package and feature; saving writes only the cells that changed."""
        grid = get_object_or_404(Grid, pk=grid_id)
        if not self.has_change_permission(request, grid):
            raise PermissionDenied
        features = list(grid.features.order_by("id"))
        rows = list(grid.grid_packages.select_related("package").order_by("package__title"))
        texts = {
            (cell.grid_package_id, cell.feature_id): cell.text
            for cell in Element.objects.filter(grid_package__grid=grid)
        }
        if request.method == "POST":
            changed = 0
            for row in rows:
                for feature in features:
                    name = f"cell-{row.pk}-{feature.pk}"
                    if name not in request.POST:
                        continue
                    text = request.POST[name].strip()
                    if text != texts.get((row.pk, feature.pk), ""):
                        try:
                            editing.set_cell(
                                membership=row, feature=feature, text=text, user=request.user
                            )
                        except ValidationError as exc:  # a bound or a bad text: say so
                            self.message_user(request, " ".join(exc.messages), messages.ERROR)
                            continue
                        changed += 1
            self.message_user(request, f"Saved {changed} changed cell(s).", messages.SUCCESS)
            return redirect("admin:grids_grid_cells", grid_id=grid.pk)
        table = [
            {
                "package": row.package,
                "cells": [
                    {
                        "name": f"cell-{row.pk}-{feature.pk}",
                        "text": texts.get((row.pk, feature.pk), ""),
                        "label": f"{row.package.title}: {feature.title}",
                    }
                    for feature in features
                ],
            }
            for row in rows
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Cells of {grid.title}",
            "opts": self.model._meta,
            "original": grid,
            "features": features,
            "table": table,
        }
        return TemplateResponse(request, "admin/grids/grid/cells.html", context)

    def save_model(self, request: Any, obj: Grid, form: Any, change: bool) -> None:
        """Through the API's editing services: only the changed columns are written."""
        if change:
            changes = {name: getattr(obj, name) for name in form.changed_data}
            editing.update_grid(grid=obj, user=request.user, changes=changes)
        else:
            editing.save_new_grid(obj, user=request.user)

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
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
