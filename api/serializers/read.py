"""API v4 read representations; field names and order are the public contract (see the seed).

What clients may send lives apart, in `api.serializers.write`.
"""

from rest_framework import serializers
from rest_framework.reverse import reverse

from categories.models import Category
from grids.models import Element, Feature, Grid, GridPackage
from packages.models import Package


class PyPIURLField(serializers.CharField):
    """The stored PEP 503 project name, shown as its PyPI project page ("" when not on PyPI)."""

    def to_representation(self, value):
        return f"https://pypi.org/project/{value}/" if value else ""


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = [
            "id",
            "title",
            "slug",
            "description",
            "title_plural",
            "show_pypi",
            "created",
            "modified",
        ]


class PackageSerializer(serializers.ModelSerializer):
    category = serializers.HyperlinkedRelatedField(view_name="category-detail", read_only=True)
    grids = serializers.HyperlinkedRelatedField(view_name="grid-detail", many=True, read_only=True)
    pypi_url = PyPIURLField(read_only=True)

    class Meta:
        model = Package
        fields = [
            "category",
            "grids",
            "id",
            "title",
            "slug",
            "last_updated",
            "last_fetched",
            "repo_url",
            "pypi_version",
            "created",
            "modified",
            "repo_forks",
            "repo_description",
            "pypi_url",
            "documentation_url",
            "repo_watchers",
            "commits_over_52",
            "participants",
        ]

    def to_representation(self, instance):
        """The same JSON DRF's fields would give, built directly: a list page is the hot path.

        The declared fields stay the contract (schema, browsable API); this only skips DRF's
        per-field machinery and reverses each related URL once per response, not once per row.
        """
        url = self._url_builders()
        return {
            "category": url["category-detail"](instance.category_id),
            "grids": [url["grid-detail"](grid.pk) for grid in instance.grids.all()],
            "id": instance.id,
            "title": instance.title,
            "slug": instance.slug,
            "last_updated": _datetime(instance.last_updated),
            "last_fetched": _datetime(instance.last_fetched),
            "repo_url": instance.repo_url,
            "pypi_version": instance.pypi_version,
            "created": _datetime(instance.created),
            "modified": _datetime(instance.modified),
            "repo_forks": instance.repo_forks,
            "repo_description": instance.repo_description,
            "pypi_url": f"https://pypi.org/project/{instance.pypi_url}/"
            if instance.pypi_url
            else "",
            "documentation_url": instance.documentation_url,
            "repo_watchers": instance.repo_watchers,
            "commits_over_52": instance.commits_over_52,
            "participants": instance.participants,
        }

    def _url_builders(self):
        builders = getattr(self, "_builders", None)
        if builders is None:
            request, format = self.context.get("request"), self.context.get("format")
            builders = self._builders = {
                name: detail_url_builder(name, request, format)
                for name in ("category-detail", "grid-detail")
            }
        return builders


def detail_url_builder(view_name, request, format=None):
    """`pk -> URL` of `view_name`, exactly as DRF's hyperlinked fields render it (host,
    `.json` suffix, `?format=`): one reverse() per distinct pk for the builder's lifetime
    (a response), since a list page names the same few categories and grids on every row."""
    urls = {}

    def url(pk):
        if pk is None:
            return None
        if pk not in urls:
            urls[pk] = reverse(view_name, kwargs={"pk": pk}, request=request, format=format)
        return urls[pk]

    return url


_DATETIME = serializers.DateTimeField()


def _datetime(value):
    return None if value is None else _DATETIME.to_representation(value)


class GridSerializer(serializers.ModelSerializer):
    packages = serializers.HyperlinkedRelatedField(
        view_name="package-detail", many=True, read_only=True
    )

    class Meta:
        model = Grid
        fields = [
            "id",
            "title",
            "slug",
            "description",
            "is_locked",
            "packages",
            "header",
            "created",
            "modified",
        ]


class SearchResultSerializer(serializers.Serializer):
    """One search hit: djangopackages.org's keys in its order, then our `id` and API `url`."""

    description = serializers.CharField()
    title = serializers.CharField()
    title_no_prefix = serializers.CharField(help_text="The title without a leading django-/_.")
    slug_no_prefix = serializers.CharField(help_text="The slug without a leading django-/_.")
    clean_title = serializers.CharField(help_text="The title lower-cased, - and _ as spaces.")
    absolute_url = serializers.CharField(
        help_text="The site path, /packages/p/<slug>/ or /grids/g/<slug>/ (redirects here)."
    )
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()
    weight = serializers.IntegerField(
        help_text="0-100: 100 exact name match, 75 name prefix, 50 words in the name, "
        "25 words anywhere, 0 a misspelled name (PostgreSQL)."
    )
    item_type = serializers.ChoiceField(choices=["package", "grid"])
    slug = serializers.CharField()
    category = serializers.CharField(help_text='The package\'s category title; "" for grids.')
    repo_watchers = serializers.IntegerField(help_text="Stars; 0 for grids.")
    repo_forks = serializers.IntegerField(help_text="0 for grids.")
    pypi_downloads = serializers.IntegerField(
        help_text="PyPI downloads last month (pypistats.org); 0 until counted, and for grids."
    )
    score = serializers.IntegerField(help_text="0-100; 0 for grids.")
    usage = serializers.IntegerField(help_text="Signed-in users who use it; 0 for grids.")
    participants = serializers.CharField(help_text="Contributors' logins, comma-separated.")
    last_committed = serializers.DateTimeField(allow_null=True)
    last_released = serializers.DateTimeField(allow_null=True)
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="The item's API URL.")


class GridPackageSerializer(serializers.ModelSerializer):
    """One row of a grid: the package's membership."""

    grid = serializers.HyperlinkedRelatedField(view_name="grid-detail", read_only=True)
    package = serializers.HyperlinkedRelatedField(view_name="package-detail", read_only=True)

    class Meta:
        model = GridPackage
        fields = ["grid", "package", "created"]


class GridFeatureSerializer(serializers.ModelSerializer):
    """A column of a grid."""

    grid = serializers.HyperlinkedRelatedField(view_name="grid-detail", read_only=True)

    class Meta:
        model = Feature
        fields = ["id", "grid", "title", "description", "created", "modified"]


class GridCellSerializer(serializers.ModelSerializer):
    """A cell of a grid: what it says about one package (row) for one feature (column)."""

    package = serializers.HyperlinkedRelatedField(
        source="grid_package.package", view_name="package-detail", read_only=True
    )
    feature = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Element
        fields = ["id", "package", "feature", "text", "created", "modified"]
