"""What one run did, counted from what it stored: the summary line, its JSON, and the exit code.

Every selected package lands in exactly one of fetched, unchanged, failed or skipped (left for
the next run: claimed elsewhere, its host stopped, its row locked by an edit, or its identifiers
edited during the fetch). A downloads pass (`--source downloads`) reports its own counts,
under its own name.
`missing` and `archived` count the processed packages whose stored state says so after the run.
"""

from collections import Counter
from dataclasses import dataclass, field

from packages.fetch.store import Outcome

EXIT_OK = 0  # the run completed; some packages may have failed (the summary says which)
EXIT_CANNOT_RUN = 1  # bad configuration, database or cache unreachable
EXIT_DEGRADED = 2  # a host was stopped as unreachable, or every attempted package failed


@dataclass
class Summary:
    selected: int = 0
    fetched: int = 0
    unchanged: int = 0
    failed: Counter = field(default_factory=Counter)
    skipped: int = 0
    missing: int = 0
    archived: int = 0
    calls: Counter = field(default_factory=Counter)
    not_modified: Counter = field(default_factory=Counter)
    stopped_hosts: dict[str, str] = field(default_factory=dict)
    unreachable_hosts: dict[str, str] = field(default_factory=dict)
    wall_time: float = 0.0
    dry_run: bool = False
    source: str | None = None  # --source; "downloads" is a pass of its own, reported as such

    def count(self, outcome: Outcome) -> None:
        if outcome.status == "failed":
            self.failed[outcome.reason] += 1
        elif outcome.status == "skipped":
            self.skipped += 1
        elif outcome.status == "unchanged":
            self.unchanged += 1
        else:
            self.fetched += 1
        self.missing += outcome.is_missing
        self.archived += outcome.is_archived

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    @property
    def exit_code(self) -> int:
        attempted = self.fetched + self.unchanged + self.failed_total
        if self.unreachable_hosts or (attempted and self.failed_total == attempted):
            return EXIT_DEGRADED
        return EXIT_OK

    def as_dict(self) -> dict:
        total_calls = sum(self.calls.values())
        not_modified = sum(self.not_modified.values())
        return {
            "selected": self.selected,
            "fetched": self.fetched,
            "unchanged": self.unchanged,
            "failed": self.failed_total,
            "failed_by_reason": dict(sorted(self.failed.items())),
            "skipped": self.skipped,
            "missing": self.missing,
            "archived": self.archived,
            "calls_by_host": dict(sorted(self.calls.items())),
            "calls": total_calls,
            "not_modified": not_modified,
            "not_modified_share": round(not_modified / total_calls, 4) if total_calls else 0.0,
            "stopped_hosts": self.stopped_hosts,
            "unreachable_hosts": sorted(self.unreachable_hosts),
            "wall_time_s": round(self.wall_time, 3),
            "dry_run": self.dry_run,
            "source": self.source,
            "exit_code": self.exit_code,
        }

    def line(self) -> str:
        d = self.as_dict()
        failed = ", ".join(f"{k} {v}" for k, v in d["failed_by_reason"].items())
        calls = ", ".join(f"{k} {v}" for k, v in d["calls_by_host"].items()) or "none"
        parts = [
            f"{d['selected']} selected",
            f"{d['fetched']} fetched",
            f"{d['unchanged']} unchanged",
            f"{d['failed']} failed" + (f" ({failed})" if failed else ""),
            f"{d['skipped']} skipped",
            f"{d['missing']} missing",
            f"{d['archived']} archived",
            f"API calls: {calls}",
            f"304s: {d['not_modified']} ({d['not_modified_share']:.0%})",
        ]
        if self.stopped_hosts:
            parts.append("stopped: " + "; ".join(self.stopped_hosts.values()))
        prefix = "dry run: " if self.dry_run else ""
        if self.source == "downloads":
            prefix += "downloads: "
        return prefix + ", ".join(parts) + f", {d['wall_time_s']:.1f}s"
