"""README's container instructions as data: the prod.env block's settings, and each `docker`
command of the "Docker, with workers" section (continuation lines joined, comments dropped),
labelled by the flow it belongs to ("workers", then "try-out")."""

import re
import shlex
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def section(heading: str) -> str:
    text = README.read_text()
    start = text.index(f"\n### {heading}\n")
    end = text.find("\n## ", start + 1)
    following = text.find("\n### ", start + 1)
    ends = [e for e in (end, following) if e != -1]
    return text[start : min(ends)] if ends else text[start:]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def prod_env_block() -> list[tuple[str, str]]:
    """(variable, README's value) for each line of README's prod.env."""
    (block,) = blocks(section("prod.env"), "ini")
    pairs = []
    for line in block.splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs.append((key.strip(), value.strip()))
    return pairs


def docker_section_commands() -> list[tuple[str, list[str]]]:
    """Every command of README's "Docker, with workers" section, as shell words."""
    commands = []
    for number, block in enumerate(blocks(section("Docker, with workers"), "sh")):
        flow = "workers" if number == 0 else "try-out"
        for logical in re.sub(r"\\\n\s*", " ", block).splitlines():
            words = shlex.split(logical, comments=True)
            if words:
                commands.append((flow, words))
    return commands
