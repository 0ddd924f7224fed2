"""API v4 serializers: `read` (the JSON the API answers with) and `write` (what clients send)."""
