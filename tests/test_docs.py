"""README stays the manual that fits in one read, and every link between README and docs/ works."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANUAL_MAX_LINES = 450
_LINK = re.compile(r"\]\(([^)\s#]*)(?:#([^)\s]*))?\)")


def anchors(path):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    found, in_code = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and re.match(r"#{1,6} ", line):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def broken_links(path):
    broken = []
    for target, anchor in _LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # http(s) and mailto links are not checked here
        linked = (path.parent / target).resolve() if target else path
        if not linked.exists():
            broken.append(f"{path.name}: {target} does not exist")
        elif anchor and linked.is_file() and anchor not in anchors(linked):
            broken.append(f"{path.name}: {target}#{anchor} names no heading")
    return broken


def test_readme_fits_in_one_read():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()

    assert len(lines) <= MANUAL_MAX_LINES, "move reference detail to docs/<topic>.md"


def test_every_link_in_readme_and_docs_resolves():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

    assert len(pages) >= 5
    broken = [problem for page in pages for problem in broken_links(page)]
    assert not broken, "\n".join(broken)


def test_a_link_to_a_missing_heading_is_reported(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[ok](#title) [bad](#nowhere) [gone](missing.md)\n")

    assert broken_links(page) == [
        "page.md: #nowhere names no heading",
        "page.md: missing.md does not exist",
    ]
