"""One repository, one package: `repo_key` (`packages.identifiers.repo_identity`), made unique
by 0006 (its own transaction: PostgreSQL refuses an index after row updates in the same one).

Existing packages get their key. Where several already share a repository (`Owner/Repo` and
`owner/repo`, `.../tree/main`), the oldest keeps it; each other one keeps its grids, cells and
stats but loses its repository URL, with the reason in `fetch_error` (shown in the admin) and a
line on stdout, so nothing is deleted and nothing is fetched twice. Merge or delete them there.
"""

from django.db import migrations, models
from django.utils import timezone

from packages.identifiers import IdentifierError, repo_identity


def assign_keys(apps, schema_editor):
    Package = apps.get_model("packages", "Package")
    keepers = {}
    for package in Package.objects.exclude(repo_url="").order_by("id").iterator():
        try:
            key = repo_identity(package.repo_url)
        except IdentifierError:
            continue
        keeper = keepers.setdefault(key, package)
        if keeper is package:
            Package.objects.filter(pk=package.pk).update(repo_key=key)
            continue
        reason = (
            f"Repository {package.repo_url} cleared by migration packages.0005: package "
            f"{keeper.slug!r} (id {keeper.pk}) has it. Merge this package into it, or delete it."
        )
        Package.objects.filter(pk=package.pk).update(
            repo_url="", fetch_error=reason, fetch_error_at=timezone.now()
        )
        print(f"\n  duplicate repository: package {package.slug!r} (id {package.pk}): {reason}")


class Migration(migrations.Migration):
    dependencies = [
        ("packages", "0004_package_fetch_failing_since"),
    ]

    operations = [
        migrations.AddField(
            model_name="package",
            name="repo_key",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                help_text="The repository's identity (`repo_identity`): one package per repository.",
                max_length=255,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(assign_keys, migrations.RunPython.noop),
    ]
