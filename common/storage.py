"""Static files in production: whitenoise's compressed, hashed storage that degrades safely.

Without `collectstatic` there is no manifest, and the stock storage raises on every `{% static %}`,
so each HTML page (browsable API, admin, docs) would be a 500. Here a name missing from the
manifest is served under its plain name instead, with one warning in the log saying why;
pages render (unstyled until `collectstatic` runs) and JSON is unaffected. Once a manifest
exists, a name missing from it is no such sign (whitenoise asks for names it guesses from
hashed files, `x.min.css.<hash>.map` -> `x.min.map`): it is served plain without a warning.
"""

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class ForgivingManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    _warned = False

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError as exc:
            if self.hashed_files:
                return name  # collectstatic ran; this name is simply not one it hashed
            if not ForgivingManifestStaticFilesStorage._warned:
                ForgivingManifestStaticFilesStorage._warned = True
                logger.warning(
                    "static file %r is not in the manifest (%s): run `manage.py collectstatic`; "
                    "serving plain static URLs until then",
                    name,
                    exc,
                )
            return name
