"""When a package's current streak of failed fetches began (the score's failing penalty reads it).

Packages already failing get their latest error time: the streak began then or earlier, so the
penalty is never applied early; the next failures keep it, the next success clears it.
"""

from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    Package = apps.get_model("packages", "Package")
    Package.objects.filter(fetch_failures__gt=0).update(fetch_failing_since=F("fetch_error_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("packages", "0003_package_refresh_pypi_downloads"),
    ]

    operations = [
        migrations.AddField(
            model_name="package",
            name="fetch_failing_since",
            field=models.DateTimeField(
                blank=True,
                help_text="When the current streak of failed fetches began; cleared by a successful one.",
                null=True,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
