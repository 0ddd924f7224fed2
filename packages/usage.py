"""Who uses which package: marking and unmarking (idempotent) and the counts the API shows."""

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from packages.models import Package, Usage


def mark_used(*, package: Package, user: User) -> bool:
    """Record that `user` uses `package`; False when it already was (nothing changes)."""
    try:
        with transaction.atomic():
            _, created = Usage.objects.get_or_create(package=package, user=user)
    except IntegrityError:  # a concurrent mark won the race: the mark exists, as asked
        return False
    return created


def unmark_used(*, package: Package, user: User) -> bool:
    """Forget that `user` uses `package`; False when there was nothing to forget."""
    deleted, _ = Usage.objects.filter(package=package, user=user).delete()
    return bool(deleted)


def usage_count(package: Package) -> int:
    return Usage.objects.filter(package=package).count()
