"""Pages for people beyond the browsable API's own: the home page."""
