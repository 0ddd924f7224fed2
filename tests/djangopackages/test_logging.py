"""Logging: every record reaches the console once, with DEBUG on as well as off."""

import logging

import pytest


def handlers_emitting(name, level=logging.WARNING):
    """The console handlers a record of `name` at `level` passes, along its logger's propagation
    (pytest's capture handlers left out)."""
    record = logging.LogRecord(name, level, __file__, 1, "a warning", (), None)
    logger: logging.Logger | None = logging.getLogger(name)
    found = []
    while logger is not None:
        found += [
            h
            for h in logger.handlers
            if type(h) is logging.StreamHandler and level >= h.level and h.filter(record)
        ]
        if not logger.propagate:
            break
        logger = logger.parent
    return found


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("name", ["django.request", "django.security.csrf", "api.documents"])
def test_a_warning_is_written_once(settings, debug, name):
    settings.DEBUG = debug
    assert len(handlers_emitting(name)) == 1
