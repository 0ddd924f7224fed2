"""The Category model: the top-level kind of a package (app, framework, project...)."""

from django.db import models

from common.models import SignalledQuerySet, TimeStampedModel
from common.text import multi_line, single_line


class Category(TimeStampedModel):
    title = models.CharField(max_length=50, validators=[single_line])
    slug = models.SlugField(max_length=50, unique=True)
    description = models.TextField(blank=True, validators=[multi_line])
    title_plural = models.CharField(max_length=50, blank=True, validators=[single_line])
    show_pypi = models.BooleanField(default=True, help_text="Show PyPI stats for this category.")

    objects = SignalledQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.title
