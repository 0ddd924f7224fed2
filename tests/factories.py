"""factory_boy factories for every model, with plausible defaults."""

import factory
from django.contrib.auth import get_user_model

from categories.models import Category
from grids.models import Element, Feature, Grid, GridPackage
from packages.fetch.models import PackageFetchState
from packages.models import Package, Version


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    title = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    title_plural = factory.LazyAttribute(lambda c: f"{c.title}s")
    description = "A kind of package."


class PackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Package

    title = factory.Sequence(lambda n: f"django-package-{n}")
    slug = factory.LazyAttribute(lambda p: p.title.lower())
    category = factory.SubFactory(CategoryFactory)
    repo_url = factory.LazyAttribute(lambda p: f"https://github.com/example/{p.slug}")
    repo_description = factory.LazyAttribute(lambda p: f"The {p.title} package.")
    repo_watchers = factory.Sequence(lambda n: 10 + n)
    repo_forks = factory.Sequence(lambda n: n)
    pypi_url = factory.LazyAttribute(lambda p: p.slug)


class PackageFetchStateFactory(factory.django.DjangoModelFactory):
    """A package's fetch state (failure streak, lease, refresh queue): `failures=2` etc."""

    class Meta:
        model = PackageFetchState

    package = factory.SubFactory(PackageFactory)


class VersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Version

    package = factory.SubFactory(PackageFactory)
    number = factory.Sequence(lambda n: f"1.{n}.0")


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    title = factory.Sequence(lambda n: f"Grid {n}")
    slug = factory.Sequence(lambda n: f"grid-{n}")
    description = "Packages compared."


class GridPackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GridPackage

    grid = factory.SubFactory(GridFactory)
    package = factory.SubFactory(PackageFactory)


class FeatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feature

    grid = factory.SubFactory(GridFactory)
    title = factory.Sequence(lambda n: f"Feature {n}")
    description = "Does it do the thing?"


class ElementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Element

    grid_package = factory.SubFactory(GridPackageFactory)
    feature = factory.SubFactory(FeatureFactory, grid=factory.SelfAttribute("..grid_package.grid"))
    text = "yes"
