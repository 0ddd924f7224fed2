"""What every app may use: abstract model bases, text cleaning, the error views and middlewares,
the Redis cache and its outage, static storage and the bounded PostgreSQL backend (no tables,
no app of its own)."""
