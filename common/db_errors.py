"""What a database error means for the caller: a lock wait that ran out (PostgreSQL's
`lock_timeout`) is a conflict with another writer, to be tried again, not an outage."""

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for lock_timeout and NOWAIT


def is_lock_timeout(exc: BaseException) -> bool:
    """True when `exc` (a Django database error or the driver's own) is a lock wait given up."""
    for error in (exc, exc.__cause__):
        if getattr(error, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            return True
    return False
