"""Grid, GridPackage (a row), Feature (a column) and Element (a cell)."""

from django.db import models

from common.models import SignalledQuerySet, TimeStampedModel, person_field
from common.text import multi_line, single_line
from packages.models import Package


class GridQuerySet(SignalledQuerySet["Grid"]):
    """Grids; `update()` says which rows it changed (common.models)."""


class Grid(TimeStampedModel):
    title = models.CharField(max_length=100, validators=[single_line])
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, validators=[multi_line])
    is_locked = models.BooleanField(default=False, help_text="Only staff may edit a locked grid.")
    header = models.BooleanField(default=False, help_text="Featured on the front page.")
    packages = models.ManyToManyField(Package, through="GridPackage", related_name="grids")
    created_by = person_field()
    last_modified_by = person_field()

    objects = GridQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class GridPackage(TimeStampedModel):
    """A package's membership in a grid: one row of the comparison."""

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="grid_packages")
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="grid_packages")
    created_by = person_field()

    class Meta:
        ordering = ["grid_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "package"], name="gridpackage_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.grid} / {self.package}"


class Feature(TimeStampedModel):
    """One column of a grid: a property the packages are compared on."""

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="features")
    title = models.CharField(max_length=100, validators=[single_line])
    description = models.TextField(blank=True, validators=[multi_line])
    created_by = person_field()

    class Meta:
        ordering = ["grid_id", "id"]

    def __str__(self) -> str:
        return f"{self.grid}: {self.title}"


class Element(TimeStampedModel):
    """One cell: what a grid says about one package for one feature."""

    grid_package = models.ForeignKey(GridPackage, on_delete=models.CASCADE, related_name="elements")
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="elements")
    text = models.TextField(blank=True, validators=[multi_line])
    created_by = person_field()

    class Meta:
        ordering = ["grid_package_id", "feature_id"]
        constraints = [
            models.UniqueConstraint(fields=["grid_package", "feature"], name="element_unique_cell")
        ]

    def __str__(self) -> str:
        return f"{self.grid_package} / {self.feature.title}"
