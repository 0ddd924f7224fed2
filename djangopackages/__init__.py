"""The djangopackages project: settings, URL map, WSGI/ASGI entry points and site-wide commands."""
