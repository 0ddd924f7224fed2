"""The stats fetcher: HTTP transport, one client per upstream, run orchestration, the write path.

- `http`: the one HTTP client (SSRF guard, per-host budgets, conditional requests, size caps).
- `forges/`: one client per code host, returning plain dataclasses; no ORM.
- `pypi`: the PyPI JSON client.
- `config`: what a run reads from settings.
- `sources`: the clients of a run, and fetching one package from them (no writes).
- `claims`: which packages a run visits and who owns each one (advisory locks or leases).
- `run`: the worker pool and the entry points (`FetchRun`).
- `summary`: what a run did, and its exit code.
- `store`: the one write path for fetched data.
- `models`: a package's fetch state (PackageFetchState: failure streak, lease, refresh queue;
  FetchState: last outcome per source; SourceRun), `state` and `status` read and write it,
  `admin` shows it on the package's admin page.
"""
