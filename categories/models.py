"""The Category model: the top-level kind of a package (app, framework, project...)."""

from django.db import models

from common.models import TimeStampedModel


class Category(TimeStampedModel):
    title = models.CharField(max_length=50)
    slug = models.SlugField(max_length=50, unique=True)
    description = models.TextField(blank=True)
    title_plural = models.CharField(max_length=50, blank=True)
    show_pypi = models.BooleanField(default=True, help_text="Show PyPI stats for this category.")

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.title
