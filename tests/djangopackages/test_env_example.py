"""`.env.example` lists every environment variable the settings read.

The variables are found by reading `djangopackages/settings.py`'s syntax tree: the first
argument of `os.environ.get(...)`, `os.getenv(...)`, `os.environ[...]` and of any helper whose
name starts with `env` (`env_bool`, `env_int`, `env_list`, ...). Add a variable to the settings
and this test names it until `.env.example` has a `NAME=` (or `# NAME=`) line for it.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "djangopackages" / "settings.py"
ENV_EXAMPLE = ROOT / ".env.example"
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _call_name(func):
    if isinstance(func, ast.Attribute):
        if func.attr == "get" and ast.unparse(func.value) == "os.environ":
            return "os.environ.get"
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def variables_read_by(source):
    names = set()
    for node in ast.walk(ast.parse(source)):
        key = None
        if isinstance(node, ast.Call) and node.args:
            name = _call_name(node.func)
            if name in {"os.environ.get", "getenv"} or name.startswith("env"):
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            key = node.slice
        is_string = isinstance(key, ast.Constant) and isinstance(key.value, str)
        if is_string and ENV_NAME.match(key.value):
            names.add(key.value)
    return names


def variables_listed_in(text):
    return {
        match.group(1) for match in re.finditer(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, re.MULTILINE)
    }


def test_the_scan_finds_every_kind_of_read():
    source = (
        "import os\n"
        "A = os.environ.get('ALPHA', '')\n"
        "B = env_int('BETA', 1)\n"
        "C = os.environ['GAMMA']\n"
        "D = os.getenv('DELTA')\n"
        "E = other('NOT_AN_ENV_READ')\n"
    )
    assert variables_read_by(source) == {"ALPHA", "BETA", "GAMMA", "DELTA"}


def test_env_example_lists_every_variable_the_settings_read():
    read = variables_read_by(SETTINGS.read_text())
    listed = variables_listed_in(ENV_EXAMPLE.read_text())

    assert {"SECRET_KEY", "DATABASE_URL", "GITHUB_TOKEN"} <= read  # the scan sees the settings
    missing = sorted(read - listed)
    assert not missing, f"add these to .env.example (with their default): {missing}"
