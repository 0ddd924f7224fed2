"""What the API itself stores: the webhook deliveries already received (replays queue nothing)."""

from django.db import models
from django.utils import timezone


class WebhookDelivery(models.Model):
    """One delivery id a forge sent (`X-GitHub-Delivery` and the like), kept for a week."""

    forge = models.CharField(max_length=20)
    delivery_id = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["forge", "delivery_id"], name="webhook_delivery_unique_per_forge"
            )
        ]
        indexes = [models.Index(fields=["received_at"], name="webhook_delivery_received_idx")]

    def __str__(self):
        return f"{self.forge} {self.delivery_id}"


from api.stored import Document  # noqa: E402,F401  (the stored documents: api.documents)
