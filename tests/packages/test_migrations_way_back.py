"""Every migration has a way back, on both databases: `manage.py migrate packages zero` (every
app built on packages goes back with it) ends without an error, and `migrate` then brings back
a catalogue that is searched and spelled as before."""

from tests.scratch_project import ScratchProject

SEARCHED = """
import search
from categories.models import Category
from packages.models import Package
from search import spelling
category = Category.objects.create(title="Apps", slug="apps", title_plural="Apps")
Package.objects.create(
    title="django-zebrafish", slug="django-zebrafish", category=category,
    repo_url="https://github.com/o/zebrafish", repo_description="Swims in schools.",
)
result = [
    [hit.slug for hit in search.search("zebrafish schools")],
    spelling.correct(["zebrafisj"]),
]
"""


def test_every_migration_goes_back_to_none_and_forward_again(tmp_path):
    project = ScratchProject(tmp_path)
    try:
        project.migrate()

        printed = project.manage("migrate", "packages", "zero", "--noinput")
        project.migrate()

        assert "Unapplying packages.0001_initial... OK" in printed
        assert project.run(SEARCHED) == [["django-zebrafish"], ["zebrafish"]]
    finally:
        project.close()


UNDOCUMENTED = """
from categories.models import Category
from packages.models import Package
category = Category.objects.create(title="Tools", slug="tools", title_plural="Tools")
# bulk_create sends no signal: the package has no stored document.
(package,) = Package.objects.bulk_create([Package(
    title="django-seahorse", slug="django-seahorse", category=category,
    repo_url="https://github.com/o/seahorse",
)])
result = package.pk
"""
DOCUMENTED = """
from api.models import Document
result = sorted(Document.objects.filter(kind="package").values_list("object_id", flat=True))
"""


def test_a_migrate_at_the_newest_state_gives_rows_their_missing_documents(tmp_path):
    project = ScratchProject(tmp_path)
    try:
        project.migrate()
        pk = project.run(UNDOCUMENTED)
        assert project.run(DOCUMENTED) == []

        project.migrate()

        assert project.run(DOCUMENTED) == [pk]
    finally:
        project.close()
