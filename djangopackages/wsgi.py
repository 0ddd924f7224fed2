"""WSGI entry point for gunicorn: `gunicorn djangopackages.wsgi`. Each worker logs, as it starts,
what the settings alone show is wrong with the proxy set-up (api.client_address)."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djangopackages.settings")

try:
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    print(f"configuration error: {exc}", file=sys.stderr)
    raise SystemExit(3) from None

from api.client_address import log_configuration_warnings  # noqa: E402  (needs the apps loaded)

log_configuration_warnings()
