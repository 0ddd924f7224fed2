"""One client per kind of code host (`CLIENTS`: kind -> client class); the fetcher's config says
which hosts speak which kind (`packages.fetch.config`), and `packages.fetch.sources` builds them."""

from packages.fetch.forges.base import Forge, ForgeClient, RepoStats
from packages.fetch.forges.bitbucket import BitbucketForge
from packages.fetch.forges.forgejo import ForgejoForge
from packages.fetch.forges.github import GitHubForge
from packages.fetch.forges.gitlab import GitLabForge

__all__ = ["CLIENTS", "Forge", "RepoStats"]

CLIENTS: dict[str, type[ForgeClient]] = {
    "github": GitHubForge,
    "gitlab": GitLabForge,
    "bitbucket": BitbucketForge,
    "forgejo": ForgejoForge,
}
