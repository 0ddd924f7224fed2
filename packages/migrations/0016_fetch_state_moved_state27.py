"""Package's fetch_* columns and PackageRefresh are gone: their values now live in
fetch.PackageFetchState (moved there by fetch.0002).

On SQLite the way back rebuilds the package table to add the columns again (Django's
`_remake_table`), which the search objects of 0011 do not survive (a trigger on categories
names the table while it is gone): they are dropped first and made again, filled from the rows,
once the columns are back. The way forward drops the columns in place, leaving them be.
"""

from importlib import import_module

from django.db import migrations

_search = import_module("packages.migrations.0011_package_search_text")


class Migration(migrations.Migration):
    dependencies = [
        ("packages", "0015_merge_readiness_figure_sources"),
        ("fetch", "0002_package_fetch_state_state27"),
    ]

    operations = [
        # Run last on the way back: SQLite's search objects made again.
        migrations.RunPython(
            migrations.RunPython.noop, _search.by_vendor({"sqlite": _search.SQLITE_FORWARD})
        ),
        migrations.RemoveField(model_name="package", name="fetch_error"),
        migrations.RemoveField(model_name="package", name="fetch_error_at"),
        migrations.RemoveField(model_name="package", name="fetch_failures"),
        migrations.RemoveField(model_name="package", name="fetch_failing_since"),
        migrations.RemoveField(model_name="package", name="fetch_lease_until"),
        migrations.DeleteModel(name="PackageRefresh"),
        # Run first on the way back: SQLite's search objects dropped.
        migrations.RunPython(
            migrations.RunPython.noop, _search.by_vendor({"sqlite": _search.SQLITE_BACKWARD})
        ),
    ]
