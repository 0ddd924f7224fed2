"""Static files in production: whitenoise's compressed, hashed storage that degrades safely.

Without `collectstatic` there is no manifest, and the stock storage raises on every `{% static %}`,
so each HTML page (browsable API, admin, docs) would be a 500. Here a name missing from the
manifest is served under its plain name instead, with one warning in the log saying why;
pages render (unstyled until `collectstatic` runs) and JSON is unaffected.
"""

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class ForgivingManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    _warned = False

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError as exc:
            if not ForgivingManifestStaticFilesStorage._warned:
                ForgivingManifestStaticFilesStorage._warned = True
                logger.warning(
                    "static file %r is not in the manifest (%s): run `manage.py collectstatic`; "
                    "serving plain static URLs until then",
                    name,
                    exc,
                )
            return name
