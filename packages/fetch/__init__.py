"""The stats fetcher: HTTP transport, one client per upstream, run orchestration, the write path.

- `http`: the one HTTP client (SSRF guard, per-host budgets, conditional requests, size caps).
- `forges/`: one client per code host, returning plain dataclasses; no ORM.
- `pypi`: the PyPI JSON client.
- `run`: which packages, who owns each one, the worker pool and the summary.
- `store`: the one write path for fetched data.
"""
