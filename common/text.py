"""Text from people and upstreams, made safe in one place.

The rule, decided once: C0 control characters (U+0000-U+001F) and DEL are refused in what
people type (a 400 or a form error naming the field), except tab and line breaks in fields that
hold several lines; they are stripped from what upstreams send (forges, PyPI, an imported
catalogue), since nobody is there to correct it; and whatever is stored (rows from before the
rule too), text written as XML (Atom feeds, SVG badges) drops every character XML 1.0 cannot
carry, so one stored byte can never make an output ill-formed. Lone surrogates cannot be stored
(UTF-8 has no encoding for them) and are treated like control characters.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# What a single line may not hold, and what several lines may not (tab, LF and CR allowed).
_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_TEXT_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_LINE_BREAKS = re.compile("[\t\n\r]+")
# Everything outside XML 1.0's Char production (tab, LF, CR and U+0020 upwards, no surrogates,
# no U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def forbidden_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character people may not type in such a field, or None."""
    found = (_TEXT_FORBIDDEN if multiline else _LINE_FORBIDDEN).search(text)
    return found.group() if found else None


def control_character_message(char: str, *, multiline: bool = False) -> str:
    """Why a field holding `char` is refused, in words a person can act on."""
    allowed = "only tab and line breaks are allowed" if multiline else "it holds one line"
    return f"Remove the control character U+{ord(char):04X}: {allowed}."


@deconstructible
class ControlCharacterValidator:
    """A model or form field validator refusing control characters (see the module's rule)."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        if not isinstance(value, str):
            return
        char = forbidden_character(value, multiline=self.multiline)
        if char is not None:
            message = control_character_message(char, multiline=self.multiline)
            raise ValidationError(message, code="control_character")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ControlCharacterValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash(self.multiline)


single_line = ControlCharacterValidator(multiline=False)
multi_line = ControlCharacterValidator(multiline=True)


def strip_control_characters(text: str, *, multiline: bool = True) -> str:
    """Upstream text without the characters people may not type: tab and line breaks are kept
    when `multiline`, else read as spaces; the others are dropped."""
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    return _TEXT_FORBIDDEN.sub("", text)


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold (escaping stays the writer's job)."""
    return _NOT_XML.sub("", text)
