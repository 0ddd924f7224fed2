"""One client per code host; `build_forges` maps a repository's web host to its client.

Only hosts named here are ever fetched: the four public forges (their API base URLs come from
settings) and self-hosted GitLab / Forgejo instances listed in GITLAB_HOSTS / FORGEJO_HOSTS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packages.fetch.forges.base import Forge, ForgeClient, RepoRef, RepoStats, parse_repo_url
from packages.fetch.forges.bitbucket import BitbucketForge
from packages.fetch.forges.forgejo import ForgejoForge
from packages.fetch.forges.github import GitHubForge
from packages.fetch.forges.gitlab import GitLabForge

__all__ = ["ForgeSite", "RepoRef", "RepoStats", "build_forges", "forge_sites", "parse_repo_url"]

if TYPE_CHECKING:
    from packages.fetch.http import HttpClient

_CLIENTS: dict[str, type[ForgeClient]] = {
    "github": GitHubForge,
    "gitlab": GitLabForge,
    "bitbucket": BitbucketForge,
    "forgejo": ForgejoForge,
}


@dataclass(frozen=True)
class ForgeSite:
    """A code host: the web host repo URLs name, which API speaks there, and where it lives.

    `trusted` sites are our configured API base URLs; self-hosted ones must resolve to public
    addresses before we talk to them.
    """

    host: str
    kind: str
    api_url: str
    label: str
    token: str = ""
    trusted: bool = True


def forge_sites(
    *,
    github_api_url: str,
    gitlab_api_url: str,
    bitbucket_api_url: str,
    codeberg_api_url: str,
    github_token: str = "",
    gitlab_token: str = "",
    gitlab_hosts: Iterable[str] = (),
    forgejo_hosts: Iterable[str] = (),
) -> list[ForgeSite]:
    sites = [
        ForgeSite("github.com", "github", github_api_url, "github", github_token),
        ForgeSite("gitlab.com", "gitlab", gitlab_api_url, "gitlab", gitlab_token),
        ForgeSite("bitbucket.org", "bitbucket", bitbucket_api_url, "bitbucket"),
        ForgeSite("codeberg.org", "forgejo", codeberg_api_url, "codeberg"),
    ]
    for host in gitlab_hosts:
        host = host.lower()
        sites.append(ForgeSite(host, "gitlab", f"https://{host}/api/v4", host, trusted=False))
    for host in forgejo_hosts:
        host = host.lower()
        sites.append(ForgeSite(host, "forgejo", f"https://{host}/api/v1", host, trusted=False))
    return sites


def build_forges(
    http: HttpClient, sites: Iterable[ForgeSite], *, max_pages: int = 20
) -> dict[str, Forge]:
    """{web host: client} for every configured site."""
    return {
        site.host: _CLIENTS[site.kind](
            http, api_url=site.api_url, label=site.label, token=site.token, max_pages=max_pages
        )
        for site in sites
    }
