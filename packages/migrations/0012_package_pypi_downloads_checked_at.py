from django.db import migrations, models


def counts_already_asked(apps, schema_editor):
    """A count pypistats gave was asked then: not due again before its day is over."""
    Package = apps.get_model("packages", "Package")
    Package.objects.filter(pypi_downloads_at__isnull=False).update(
        pypi_downloads_checked_at=models.F("pypi_downloads_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("packages", "0011_package_search_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="package",
            name="pypi_downloads_checked_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When pypistats.org was last asked (answered or not): due again a day later.",
                null=True,
            ),
        ),
        migrations.RunPython(counts_already_asked, migrations.RunPython.noop),
    ]
