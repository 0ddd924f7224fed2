"""Package's fetch_* columns and PackageRefresh are gone: their values now live in
fetch.PackageFetchState (moved there by fetch.0002)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("packages", "0015_merge_readiness_figure_sources"),
        ("fetch", "0002_package_fetch_state_state27"),
    ]

    operations = [
        migrations.RemoveField(model_name="package", name="fetch_error"),
        migrations.RemoveField(model_name="package", name="fetch_error_at"),
        migrations.RemoveField(model_name="package", name="fetch_failures"),
        migrations.RemoveField(model_name="package", name="fetch_failing_since"),
        migrations.RemoveField(model_name="package", name="fetch_lease_until"),
        migrations.DeleteModel(name="PackageRefresh"),
    ]
