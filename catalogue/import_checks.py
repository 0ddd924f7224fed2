"""The importer's field checks, compiled once per model: `clean_fields()` without its overhead.

`FieldChecks(model, exclude).accepts(row)` answers True only when `clean_fields(exclude)` on
an instance holding `row` (values by attname) would raise nothing and change no value: each
field's value has the exact type its `to_python()` returns unchanged, passes the null / blank
rules of `Field.validate()`, and passes every one of the field's validators (maximum lengths and
number ranges compared directly, any other validator called as it is). Whatever it cannot vouch
for (a string where a number is expected, which `to_python()` would convert; a value a
validator refuses; a field with choices, not editable, or of a kind not listed here) answers
False, and the importer then runs the model's own `clean_fields()`, whose outcome and messages
stand. tests/catalogue/test_import_checks.py runs both over many good and bad values.

One deliberate difference: a foreign key is accepted without the query `ForeignKey.validate()`
makes, since the importer sets none from a record except `category` (checked against the
categories it holds), so any other one was read from the database, whose constraint guarantees
its target.
"""

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models

Check = Callable[[Any], bool]


class FieldChecks:
    """Every checked field of `model` (but those named in `exclude`) as (attname, check)."""

    def __init__(self, model: type[models.Model], exclude: Iterable[str] = ()) -> None:
        skip = set(exclude)
        self.checks: list[tuple[str, Check]] = [
            (field.attname, compile_check(field))
            for field in model._meta.fields
            if field.name not in skip and not field.generated
        ]

    def accepts(self, row: dict[str, Any]) -> bool:
        """True when `clean_fields()` would accept every value of `row` unchanged."""
        # A loop rather than all(<generator>): this runs for every field of every record.
        for attname, check in self.checks:  # noqa: SIM110
            if not check(row[attname]):
                return False
        return True


def compile_check(field: models.Field) -> Check:
    """A predicate: True only if `clean_fields()` accepts this field's value unchanged."""
    empty = field.empty_values
    if field.choices is not None or not field.editable:
        strict = _by_django(field)
    elif isinstance(field, models.ForeignKey):
        strict = _typed(int, [])  # the target is the database's to guarantee (see above)
    else:
        kind = _exact_type(field)
        strict = _by_django(field) if kind is None else _typed(kind, field.validators, field)
    if field.blank:
        # clean_fields() skips an empty value of a blank field.
        return lambda value: value in empty or strict(value)
    # Field.validate() refuses None and every empty value of a field that is not blank.
    return lambda value: value not in empty and strict(value)


def _exact_type(field: models.Field) -> type | None:
    """The type `to_python()` returns unchanged, for the field kinds checked here."""
    if isinstance(field, models.CharField | models.TextField):
        return str
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.IntegerField):
        return int
    if isinstance(field, models.DateTimeField):
        return datetime
    if isinstance(field, models.JSONField):
        return object
    return None


def _typed(kind: type, validators: list, field: models.Field | None = None) -> Check:
    tests = [_fast_validator(validator) for validator in validators]
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        tests.insert(0, lambda value: _encodes(value, encoder))
    if kind is datetime:

        def is_kind(value: Any) -> bool:
            return isinstance(value, datetime)  # DateTimeField.to_python() returns it as is
    elif kind is object:

        def is_kind(value: Any) -> bool:
            return True
    else:

        def is_kind(value: Any) -> bool:
            return type(value) is kind  # bool is an int that to_python() would turn into 1

    def check(value: Any) -> bool:
        if not is_kind(value):
            return False
        for test in tests:  # noqa: SIM110  (as in accepts)
            if not test(value):
                return False
        return True

    return check


def _fast_validator(validator: Callable[[Any], None]) -> Check:
    limit: Any = getattr(validator, "limit_value", None)
    if limit is not None and not callable(limit):
        if type(validator) is MaxLengthValidator:
            return lambda value: len(value) <= limit
        if type(validator) is MinValueValidator:
            return lambda value: value >= limit
        if type(validator) is MaxValueValidator:
            return lambda value: value <= limit

    def passes(value: Any) -> bool:
        try:
            validator(value)
        except ValidationError:
            return False
        return True

    return passes


def _encodes(value: Any, encoder: type[json.JSONEncoder] | None) -> bool:
    """JSONField.validate()'s own test: the value serializes."""
    try:
        json.dumps(value, cls=encoder)
    except (TypeError, ValueError):
        return False
    return True


def _by_django(field: models.Field) -> Check:
    """The field's own `clean()`, for kinds not compiled here: accepted if the value survives."""

    def check(value: Any) -> bool:
        try:
            cleaned = field.clean(value, None)
        except ValidationError:
            return False
        return type(cleaned) is type(value) and cleaned == value

    return check
