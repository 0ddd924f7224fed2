"""What our management commands share: a usage error exits 64 (EX_USAGE, sysexits.h) with one
line, so cron and scripts tell a typo from an outage or a failed run."""

from types import MethodType
from typing import NoReturn

from django.core.management.base import CommandError, CommandParser

EX_USAGE = 64


def exit_64_on_usage_errors(parser: CommandParser) -> CommandParser:
    """`parser`, whose errors (an unknown option, a bad value) print `prog: message` and exit 64
    from the command line, or raise CommandError(returncode=64) from `call_command`."""

    def error(self: CommandParser, message: str) -> NoReturn:
        if message.startswith("argument -v/--verbosity"):
            message += " (-v takes a level from 0 to 3 before any slug: -v 2 SLUG)"
        if self.called_from_command_line:
            self.exit(EX_USAGE, f"{self.prog}: {message}; see --help\n")
        raise CommandError(f"Error: {message}", returncode=EX_USAGE)

    setattr(parser, "error", MethodType(error, parser))  # noqa: B010  (this parser only)
    return parser
