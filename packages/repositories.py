"""A package's repository: the parsed reference (`RepoRef`), the one parser of repository URLs,
the hosts we can read stats from, and the length of the commit window (`WEEKS`).

The catalogue, the API and the fetcher all ask here; only the fetcher's config turns the hosts
into API clients. Give the parser a normalized URL (`packages.identifiers.normalize_repo_url`).
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

WEEKS = 52  # the one home of the commit window's length (commits_over_52)

# The public forges, by the web host their repository URLs name. Their owner and repository
# names ignore case (`Owner/Repo` is `owner/repo`).
PUBLIC_FORGE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")
CASE_INSENSITIVE_FORGES = frozenset(PUBLIC_FORGE_HOSTS)

# A forge's owner and repository names (GitHub, GitLab, Bitbucket, Forgejo alike).
_FORGE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class RepoRef:
    """A repository as the fetcher addresses it: which forge host, and its path there."""

    host: str
    owner: str
    name: str

    @property
    def path(self) -> str:
        return f"{self.owner}/{self.name}"


def parse_repo_url(url: str | None) -> RepoRef | None:
    """`https://github.com/o/r/tree/main` -> RepoRef("github.com", "o", "r"); None when not a
    repository URL.

    GitLab subgroups keep every namespace in the owner (`group/sub`); other forges take the first
    two path segments (`/o/r/tree/main` is still `o/r`) and drop a trailing `.git`. Owner and
    name hold only what forges allow in names (letters, digits, `.`, `_`, `-`): a space or an
    escape (`%20`) in them names no repository.
    """
    parts = urlsplit((url or "").strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    if parts.port not in (None, 80, 443):
        host = f"{host}:{parts.port}"
    segments = [s for s in parts.path.split("/") if s]
    if "-" in segments:  # GitLab web URLs: /group/project/-/tree/main
        segments = segments[: segments.index("-")]
    if len(segments) < 2:
        return None
    if host == "gitlab.com" or host.startswith("gitlab."):
        owner, name = "/".join(segments[:-1]), segments[-1]
    else:
        owner, name = segments[0], segments[1]
    name = name.removesuffix(".git")
    if not all(_FORGE_NAME.match(part) for part in (*owner.split("/"), name)):
        return None  # empty, or holding what no forge allows in a name
    return RepoRef(host, owner, name)


def self_hosted_gitlab_hosts() -> tuple[str, ...]:
    """The self-hosted GitLab instances we fetch from (GITLAB_HOSTS), lower case."""
    return tuple(host.lower() for host in settings.GITLAB_HOSTS)


def self_hosted_forgejo_hosts() -> tuple[str, ...]:
    """The self-hosted Forgejo / Gitea instances we fetch from (FORGEJO_HOSTS), lower case."""
    return tuple(host.lower() for host in settings.FORGEJO_HOSTS)


def supported_repo_hosts() -> set[str]:
    """The web hosts the stats fetcher has a client for (public forges and configured ones)."""
    return {*PUBLIC_FORGE_HOSTS, *self_hosted_gitlab_hosts(), *self_hosted_forgejo_hosts()}


def is_fetchable_repo(repo_url: str) -> bool:
    """True when the fetcher will read stats for this (normalized) repository URL."""
    ref = parse_repo_url(repo_url)
    return ref is not None and ref.host in supported_repo_hosts()
