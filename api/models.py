"""What the API itself stores: the webhook deliveries already received (replays queue nothing)."""

import logging
from datetime import datetime, timedelta

from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

DELIVERIES_KEPT = timedelta(days=7)


class WebhookDeliveryManager(models.Manager["WebhookDelivery"]):
    """The delivery log `packages.webhooks.refresh_pushed_repositories` is given."""

    def record(self, forge: str, delivery_id: str, *, now: datetime) -> bool:
        """Keep a delivery id (and drop those older than a week); False when it was received
        before (a replay)."""
        self.filter(received_at__lt=now - DELIVERIES_KEPT).delete()
        try:
            with transaction.atomic():
                self.create(forge=forge, delivery_id=delivery_id, received_at=now)
        except IntegrityError:
            return False
        return True

    def forget(self, forge: str, delivery_id: str) -> None:
        """Undo `record` for a delivery that queued nothing because of a failure."""
        try:
            self.filter(forge=forge, delivery_id=delivery_id).delete()
        except DatabaseError:
            logger.warning("could not forget %s delivery %s", forge, delivery_id)


class WebhookDelivery(models.Model):
    """One delivery id a forge sent (`X-GitHub-Delivery` and the like), kept for a week."""

    forge = models.CharField(max_length=20)
    delivery_id = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    objects = WebhookDeliveryManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["forge", "delivery_id"], name="webhook_delivery_unique_per_forge"
            )
        ]
        indexes = [models.Index(fields=["received_at"], name="webhook_delivery_received_idx")]

    def __str__(self) -> str:
        return f"{self.forge} {self.delivery_id}"


from api.stored import Document, ListCount  # noqa: E402,F401  (api.documents, api.list_pages)
