"""Every curl example in README.md, run in order against a live server on the demo catalogue.

How README's examples are read (keep to this when you add one):
- Only fenced blocks marked ```sh are read. A logical line is a physical line plus the lines
  that follow it while it ends with a backslash or has an unclosed quote.
- `curl ...` sends one request to the live server (`http://127.0.0.1:8000` is rewritten to it).
  A trailing comment that starts with a status code names the expected status (`# 404 {...}`,
  `# 201`); without one, any 2xx passes. Anything after an unquoted `|` or `>` is not run.
- `NAME=value; OTHER='value'` sets shell variables; `$NAME`, `${NAME}` and `"$NAME"` expand as
  in sh (not inside single quotes). `NAME=$(curl ...)` or `NAME=$(.venv/bin/python manage.py
  ...)` captures the output; a `| command` inside the `$(...)` runs locally with that output on
  stdin (e.g. `python3 -c` to pick a JSON field).
- `.venv/bin/python manage.py CMD ...` runs in-process for the commands in `RUNNABLE_COMMANDS`
  (they only touch the database: creating the example user, printing a token); every other
  command line (fetch_stats, import_catalogue, make, docker, ...) is not run.
- `# untested: <reason>` in a line's trailing comment skips it: for an example that needs a
  running worker, a secret or the network. Say why.
- curl options understood: -s -S -i -I -L -f (alone or combined), -X, -H, -d/--data/--data-raw,
  -o, -w (`%{http_code}`, `%header{name}`). Any other option fails the test: extend the
  interpreter here rather than leave an example untested.
"""

import io
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from django.core.management import call_command

README = Path(__file__).resolve().parent.parent / "README.md"
README_BASE = "http://127.0.0.1:8000"
RUNNABLE_COMMANDS = {"create_user", "create_api_token", "compute_scores"}
MIN_CURL_EXAMPLES = 30  # a parser that finds fewer has stopped reading README
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_OPERATORS = "|;>"


class Operator(str):
    """An unquoted `|`, `;` or `>` among the words of a line."""


@dataclass
class Line:
    text: str  # the code, without its trailing comment
    comment: str
    number: int  # README line where it starts

    @property
    def expected_status(self):
        match = re.match(r"(\d{3})\b", self.comment)
        return int(match.group(1)) if match else None

    @property
    def untested(self):
        return "untested:" in self.comment


@dataclass
class Outcome:
    ran: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failures: list = field(default_factory=list)


def sh_blocks(text):
    """(first line number, body) of every ```sh fenced block."""
    blocks, start, body = [], None, []
    for number, line in enumerate(text.splitlines(), 1):
        if start is None and line.strip() == "```sh":
            start, body = number + 1, []
        elif start is not None and line.strip() == "```":
            blocks.append((start, body))
            start = None
        elif start is not None:
            body.append(line)
    return blocks


def logical_lines(text):
    lines = []
    for start, body in sh_blocks(text):
        pending, first = "", None
        for offset, raw in enumerate(body):
            first = start + offset if not pending else first
            pending = f"{pending}\n{raw}" if pending else raw
            if pending.endswith("\\"):
                pending = pending[:-1]
                continue
            code, comment = split_comment(pending)
            if code is None:  # an open quote: the line goes on
                continue
            if code.strip():
                lines.append(Line(code.strip(), comment, first))
            pending = ""
    return lines


def split_comment(line):
    """(code, comment) split at the first unquoted `#` starting a word; (None, "") if a quote
    is still open."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index], line[index + 1 :].strip()
    return (None, "") if quote else (line, "")


def shell_words(code, variables):
    """Split like sh: quotes removed, variables expanded outside single quotes, operators kept."""
    words, word, in_word, index = [], "", False, 0
    while index < len(code):
        char = code[index]
        if char == "'":
            end = code.index("'", index + 1)
            word, in_word, index = word + code[index + 1 : end], True, end + 1
        elif char == '"':
            end = code.index('"', index + 1)
            word, in_word, index = word + expand(code[index + 1 : end], variables), True, end + 1
        elif char.isspace() or char in _OPERATORS:
            if in_word:
                words.append(word)
            word, in_word = "", False
            if char in _OPERATORS:
                words.append(Operator(char))
            index += 1
        else:
            match = re.match(r"\$\{?(" + _NAME + r")\}?|[^\s'\"|;>$]+|\$", code[index:])
            piece = match.group(0)
            word, in_word, index = word + expand(piece, variables), True, index + len(piece)
    if in_word:
        words.append(word)
    return words


def expand(text, variables):
    def value(match):
        name = match.group(1) or match.group(2)
        return variables.get(name, match.group(0))

    return re.sub(r"\$\{(" + _NAME + r")\}|\$(" + _NAME + ")", value, text)


def split_top_level(code, separator):
    """`code` split at unquoted `separator` characters, outside `$(...)`."""
    parts, current, quote, depth = [], "", None, 0
    for index, char in enumerate(code):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif code.startswith("$(", index):
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif char == separator and not depth:
            parts.append(current)
            current = ""
            continue
        current += char
    return [*parts, current]


class ReadmeRunner:
    def __init__(self, base_url):
        self.base_url = base_url
        self.variables: dict[str, str] = {}
        self.outcome = Outcome()

    def run(self, line):
        if line.untested:
            self.outcome.skipped.append((line.number, line.text, line.comment))
            return
        try:
            self._run(line)
        except (ValueError, LookupError, requests.RequestException) as exc:
            self.outcome.failures.append(f"README line {line.number}: {line.text!r}: {exc}")

    def _run(self, line):
        capture = re.fullmatch(r"(" + _NAME + r")=\$\((.*)\)", line.text, re.S)
        if capture:
            self.variables[capture.group(1)] = self._capture(capture.group(2), line)
            return
        for statement in split_top_level(line.text, ";"):
            words = shell_words(statement, self.variables)
            if words and all(re.fullmatch(_NAME + "=.*", w, re.S) for w in words):
                self.variables.update(word.split("=", 1) for word in words)
            elif words:
                self._command(self._first_command(words), line)

    def _first_command(self, words):
        return words[: next((i for i, w in enumerate(words) if isinstance(w, Operator)), None)]

    def _capture(self, inner, line):
        head, *rest = split_top_level(inner, "|")
        output = self._command(self._first_command(shell_words(head, self.variables)), line)
        if output is None:
            raise ValueError("$(...) holds a command this test does not run")
        if rest:
            filters = "|".join(rest)
            result = subprocess.run(
                ["sh", "-c", filters], input=output, capture_output=True, text=True, timeout=30
            )
            if result.returncode:
                raise ValueError(f"`{filters.strip()}` failed: {result.stderr.strip()}")
            output = result.stdout
        return output.strip()

    def _command(self, words, line):
        if words[0] == "curl":
            return self._curl(words[1:], line)
        is_manage_py = words[:2] in (["python", "manage.py"], [".venv/bin/python", "manage.py"])
        if is_manage_py and len(words) > 2 and words[2] in RUNNABLE_COMMANDS:
            out = io.StringIO()
            call_command(*words[2:], stdout=out)
            self.outcome.ran.append(("manage.py", line.number, line.text))
            return out.getvalue()
        return None

    def _curl(self, args, line):
        request = parse_curl(args)
        if not request["url"].startswith(README_BASE):
            raise ValueError(f"the URL must start with {README_BASE}")
        response = requests.request(
            request["method"],
            self.base_url + request["url"][len(README_BASE) :],
            headers=request["headers"],
            data=request["data"].encode() if request["data"] is not None else None,
            allow_redirects=request["follow"],
            timeout=30,
        )
        self.outcome.ran.append(("curl", line.number, line.text))
        expected = line.expected_status
        ok = response.status_code == expected if expected else 200 <= response.status_code < 300
        if not ok:
            raise ValueError(
                f"answered {response.status_code}, README expects {expected or '2xx'}: "
                f"{response.text[:300]}"
            )
        return curl_output(request, response)


def parse_curl(args):
    request = {"method": None, "headers": {}, "data": None, "url": None}
    request.update(include=False, head=False, follow=False, discard=False, write_out="")
    args = list(args)
    while args:
        arg = args.pop(0)
        if arg in ("-X", "--request"):
            request["method"] = args.pop(0)
        elif arg in ("-H", "--header"):
            name, _, value = args.pop(0).partition(":")
            request["headers"][name.strip()] = value.strip()
        elif arg in ("-d", "--data", "--data-raw"):
            request["data"] = args.pop(0)
        elif arg in ("-o", "--output"):
            args.pop(0)
            request["discard"] = True
        elif arg in ("-w", "--write-out"):
            request["write_out"] = args.pop(0)
        elif re.fullmatch(r"-[sSiILf]+", arg):
            request["include"] |= "i" in arg or "I" in arg
            request["head"] |= "I" in arg
            request["follow"] |= "L" in arg
        elif arg.startswith("-"):
            raise ValueError(f"curl option {arg} is not understood by tests/test_readme.py")
        elif request["url"] is None:
            request["url"] = arg
        else:
            raise ValueError(f"a second URL: {arg}")
    if request["url"] is None:
        raise ValueError("no URL")
    if request["method"] is None:
        request["method"] = "HEAD" if request["head"] else "POST" if request["data"] else "GET"
    if request["data"] is not None:
        request["headers"].setdefault("Content-Type", "application/x-www-form-urlencoded")
    return request


def curl_output(request, response):
    """What curl prints: headers with -i, the body unless -o, then the -w text."""
    parts = []
    if request["include"]:
        parts.append(f"HTTP/1.1 {response.status_code} {response.reason}\r\n")
        parts += [f"{name}: {value}\r\n" for name, value in response.headers.items()]
        parts.append("\r\n")
    if not request["discard"]:
        parts.append(response.text)

    def write_out(match):
        if match.group(1) == "http_code":
            return str(response.status_code)
        return response.headers.get(match.group(2), "")

    parts.append(re.sub(r"%\{(http_code)\}|%header\{([^}]+)\}", write_out, request["write_out"]))
    return "".join(parts)


# --- the parser, on examples whose reading is known ------------------------------------------

SAMPLE = """
```sh
curl -s http://127.0.0.1:8000/api/v4/   # the root
curl -s http://127.0.0.1:8000/api/v4/x/    # 404 {"detail": "#1"}
curl -s -X POST http://127.0.0.1:8000/api/v4/p/ -H "$AUTH" -d '{
  "a": "# not a comment"}'   # 201
X=1; Y='two words'
curl -s http://127.0.0.1:8000/api/v4/ \\
  -H 'A: b'   # untested: needs a worker
```
```text
curl -s http://127.0.0.1:8000/ignored/
```
"""


def test_parser_reads_statuses_continuations_quotes_and_skip_marks():
    lines = logical_lines(SAMPLE)

    assert [line.number for line in lines] == [3, 4, 5, 7, 8]
    assert [line.expected_status for line in lines] == [None, 404, 201, None, None]
    assert "# not a comment" in lines[2].text
    assert [line.untested for line in lines] == [False, False, False, False, True]


def test_shell_words_expand_like_sh():
    words = shell_words(
        """curl -H "$AUTH" -d '{"f": '"$F"', "g": "$G"}' url | grep x""",
        {"AUTH": "Token k", "F": "7"},
    )

    assert words == ["curl", "-H", "Token k", "-d", '{"f": 7, "g": "$G"}', "url", "|", "grep", "x"]
    assert isinstance(words[-3], Operator)


def test_parse_curl_refuses_an_option_it_does_not_know():
    with pytest.raises(ValueError, match="--compressed"):
        parse_curl(["--compressed", f"{README_BASE}/api/v4/"])


# --- README itself ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_every_readme_example_works_on_the_demo_catalogue(live_server):
    """On default settings, throttles included: README's examples are what a reader runs."""
    call_command("load_demo", stdout=io.StringIO())
    runner = ReadmeRunner(live_server.url)

    for line in logical_lines(README.read_text(encoding="utf-8")):
        runner.run(line)

    outcome = runner.outcome
    assert not outcome.failures, "\n".join(outcome.failures)
    assert sum(kind == "curl" for kind, _, _ in outcome.ran) >= MIN_CURL_EXAMPLES
    assert any("create_user" in text for _, _, text in outcome.ran)  # the user README creates
    assert "TOKEN" in runner.variables
    assert "FEATURE" in runner.variables
