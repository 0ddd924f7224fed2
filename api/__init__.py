"""The HTTP API, version 4: routers, viewsets, serializers and filters."""
