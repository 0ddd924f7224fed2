"""The uniqueness rule on `repo_key` that 0005 filled in (one repository, one package)."""

from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [
        ("packages", "0005_package_repo_key"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="package",
            constraint=models.UniqueConstraint(
                condition=~Q(repo_key=""), fields=("repo_key",), name="package_repo_key_unique"
            ),
        ),
    ]
