"""A forge's push, as its webhook reports it: the packages whose repositories it names are queued
for a refresh (`packages.tasks.enqueue_refresh`), at most once per FETCH_WEBHOOK_MIN_INTERVAL
seconds per package, and a delivery id received before queues nothing.

The API's webhook views verify the signature and translate the forge's payload into repository
URLs and a delivery id; this module decides what that delivery does. Where delivery ids are kept
is the caller's (`DeliveryLog`), so this floor needs nothing from the API.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from packages.identifiers import repo_identity
from packages.models import Package
from packages.tasks import enqueue_refresh


class DeliveryLog(Protocol):
    """The delivery ids a forge sent lately (a replay of one queues nothing)."""

    def record(self, forge: str, delivery_id: str, *, now: datetime) -> bool:
        """Keep the id; False when it was received before."""

    def forget(self, forge: str, delivery_id: str) -> None:
        """Drop the id of a delivery that queued nothing because of a failure."""


@dataclass(frozen=True)
class PushOutcome:
    """What a delivery did: a sentence, and the slugs queued, already queued or pushed too soon."""

    detail: str
    queued: tuple[str, ...] = ()
    already_queued: tuple[str, ...] = ()
    too_soon: tuple[str, ...] = ()


def refresh_pushed_repositories(
    *,
    forge: str,
    delivery_id: str,
    repo_urls: Iterable[str],
    deliveries: DeliveryLog,
    now: datetime | None = None,
) -> PushOutcome:
    """Queue a refresh of the packages whose repositories a push names (normalized URLs).

    `delivery_id` may be "" (a forge that sends none): such a delivery is never a replay.
    `packages.tasks.RefreshQueueError` (or a database error) propagates after the delivery id
    is forgotten, so the forge's redelivery of it is taken as new, not as a replay.
    """
    now = now or timezone.now()
    if delivery_id and not deliveries.record(forge, delivery_id, now=now):
        return PushOutcome(f"delivery {delivery_id} was already received: nothing queued")
    try:
        return _queue_refreshes(sorted(set(repo_urls)))
    except Exception:
        if delivery_id:
            deliveries.forget(forge, delivery_id)
        raise


def _queue_refreshes(urls: list[str]) -> PushOutcome:
    # The repository's identity, however the package spells its URL (case, `.git`, ...).
    keys = [repo_identity(url) for url in urls]
    packages = dict(Package.objects.filter(repo_key__in=keys).values_list("pk", "slug"))
    if not packages:
        shown = ", ".join(urls) or "no repository URL in the payload"
        return PushOutcome(f"no package has this repository ({shown}): nothing queued")
    interval = timedelta(seconds=settings.FETCH_WEBHOOK_MIN_INTERVAL)
    queued = enqueue_refresh(packages, by="webhook", min_interval=interval)
    return PushOutcome(
        queued.message(),
        queued=tuple(packages[pk] for pk in queued.queued),
        already_queued=tuple(packages[pk] for pk in queued.already_queued),
        too_soon=tuple(packages[pk] for pk in queued.too_soon),
    )
