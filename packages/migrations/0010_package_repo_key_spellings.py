"""Repository URLs and keys again, with the stricter normalization: a host's trailing dot, a
full-width or percent-encoded host, percent-encoded path characters (`%2F`) and the like once
made keys of their own, so two packages could hold one repository.

Every stored repository URL is normalized again and its key recomputed. As in 0005, where
several now share a repository the oldest keeps it and each other one loses its repository URL,
with the reason in `fetch_error` (shown in the admin) and a line on stdout; a URL that no longer
normalizes (control characters, `..` segments) is cleared the same way. Nothing else is touched.
"""

from django.db import migrations
from django.utils import timezone

from packages.identifiers import IdentifierError, normalize_repo_url, repo_identity


def normalize_keys(apps, schema_editor):
    Package = apps.get_model("packages", "Package")
    rows = list(
        Package.objects.exclude(repo_url="")
        .order_by("id")
        .values("id", "slug", "repo_url", "repo_key")
    )
    keepers, cleared = {}, {}
    for row in rows:
        try:
            url = normalize_repo_url(row["repo_url"])
            key = repo_identity(url)
        except IdentifierError as exc:
            cleared[row["id"]] = (
                f"Repository {row['repo_url']!r} cleared by migration packages.0010: {exc}."
            )
            continue
        keeper = keepers.setdefault(key, {**row, "url": url})
        if keeper["id"] != row["id"]:
            cleared[row["id"]] = (
                f"Repository {row['repo_url']} cleared by migration packages.0010: package "
                f"{keeper['slug']!r} (id {keeper['id']}) has it. Merge this package into it, or "
                "delete it."
            )
    # Cleared rows first: their URLs and keys make way for the keepers'.
    for row in rows:
        if row["id"] in cleared:
            reason = cleared[row["id"]]
            Package.objects.filter(pk=row["id"]).update(
                repo_url="", repo_key="", fetch_error=reason, fetch_error_at=timezone.now()
            )
            kind = "duplicate repository" if "has it" in reason else "invalid repository URL"
            print(f"\n  {kind}: package {row['slug']!r} (id {row['id']}): {reason}")
    # Then the keepers that change, in two steps, so no unique URL or key is briefly held twice
    # whatever order they come in.
    changing = {
        keeper["id"]: (keeper["url"], key)
        for key, keeper in keepers.items()
        if (keeper["url"], key) != (keeper["repo_url"], keeper["repo_key"])
    }
    Package.objects.filter(pk__in=list(changing)).update(repo_url="", repo_key="")
    for pk, (url, key) in changing.items():
        Package.objects.filter(pk=pk).update(repo_url=url, repo_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("packages", "0009_title_without_control_characters"),
    ]

    operations = [
        migrations.RunPython(normalize_keys, migrations.RunPython.noop),
    ]
