"""Per-figure sources (sample or fetched) and sample releases; marks an existing demo's
never-fetched demo packages as sample, as the loader now does."""

from django.db import migrations, models
from django.utils.text import slugify

FIGURES = ["stars", "forks", "contributors", "commits", "last_commit", "releases", "downloads"]
REPOSITORY = {"stars", "forks", "contributors", "commits", "last_commit"}
PYPI = {"releases", "downloads"}


def mark_demo_samples(apps, schema_editor):
    from demo.loader import read_packages

    Package = apps.get_model("packages", "Package")
    Version = apps.get_model("packages", "Version")
    slugs = [slugify(row["name"]) for row in read_packages()]
    demo = Package.objects.filter(slug__in=slugs, last_fetched__isnull=True)
    for package in demo.only("id", "repo_url", "pypi_url"):
        # Only what the demo generated: no repository, no repository figures.
        names = [name for name in FIGURES if name not in REPOSITORY or package.repo_url]
        names = [name for name in names if name not in PYPI or package.pypi_url]
        package.figure_sources = {name: {"source": "sample", "at": None} for name in names}
        package.save(update_fields=["figure_sources"])
    Version.objects.filter(package__in=demo).update(is_sample=True)


class Migration(migrations.Migration):
    dependencies = [
        ("packages", "0013_refresh_heartbeats"),
    ]

    operations = [
        migrations.AddField(
            model_name="package",
            name="figure_sources",
            field=models.JSONField(
                blank=True,
                null=True,
                editable=False,
                help_text="Per figure: sample (generated for the demo) or fetched, and when (packages.figures); null: none known.",
            ),
        ),
        migrations.AddField(
            model_name="version",
            name="is_sample",
            field=models.BooleanField(
                default=False, help_text="Generated for the demo; the first PyPI fetch deletes it."
            ),
        ),
        migrations.RunPython(mark_demo_samples, migrations.RunPython.noop),
    ]
