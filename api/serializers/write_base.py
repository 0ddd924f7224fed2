"""What every write serializer builds on: the base that refuses unknown and read-only fields,
related rows given as an API URL, id or slug, and text fields that refuse control characters
(the rule is `common.text`'s: one line for titles, several for descriptions and cell text).
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import RegexValidator
from rest_framework import serializers
from rest_framework.utils import html

from api.lookups import id_or_slug
from common.text import control_character_message, forbidden_character

SLUG_RULE = RegexValidator(
    r"^[a-z0-9_-]+$", "Only lower-case letters, digits, hyphens and underscores are allowed."
)
DESCRIPTION_MAX_LENGTH = 2000
# Keys an HTML form from the browsable API adds to what the user typed.
_FORM_KEYS = {"csrfmiddlewaretoken", "_method", "_content", "_content_type"}


class PlainTextField(serializers.CharField):
    """Text a person types: a control character is a 400 naming the field, checked before
    surrounding whitespace is trimmed (`\x0b` is whitespace to Python). `multiline` allows tab
    and line breaks."""

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, str):
            char = forbidden_character(data, multiline=self.multiline)
            if char is not None:
                message = control_character_message(char, multiline=self.multiline)
                raise serializers.ValidationError(message, code="control_character")
        return super().to_internal_value(data)


def line_field(max_length: int, **kwargs: Any) -> PlainTextField:
    """One line of text (titles)."""
    return PlainTextField(max_length=max_length, **kwargs)


def text_field(**kwargs: Any) -> PlainTextField:
    """Optional text of several lines (descriptions), at most DESCRIPTION_MAX_LENGTH."""
    kwargs = {"required": False, "allow_blank": True, **kwargs}
    return PlainTextField(multiline=True, max_length=DESCRIPTION_MAX_LENGTH, **kwargs)


class CatalogueRelatedField(serializers.HyperlinkedRelatedField):
    """A related row given as its API URL, numeric id or slug; shown as its API URL."""

    default_error_messages = {
        **serializers.HyperlinkedRelatedField.default_error_messages,
        "not_found": "Nothing has the id or slug {value!r}.",
        "incorrect_type": "Expected an API URL, an id or a slug, not {data_type}.",
    }

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str) and "/" in data:
            return super().to_internal_value(data)
        try:
            return self.get_object(self.view_name, (), {self.lookup_url_kwarg: str(data)})
        except ObjectDoesNotExist:
            self.fail("not_found", value=str(data)[:100])

    def get_object(self, view_name: str | None, view_args: Any, view_kwargs: dict[str, Any]) -> Any:
        queryset = self.get_queryset()
        assert queryset is not None, "a CatalogueRelatedField always names its queryset"
        lookup = id_or_slug(str(view_kwargs.get(self.lookup_url_kwarg, "")))
        if lookup is None:
            raise queryset.model.DoesNotExist
        return queryset.get(**lookup)

    def use_pk_only_optimization(self) -> bool:
        return True


class WriteSerializer(serializers.Serializer):
    """Accepts exactly its own writable fields.

    `refused_fields` maps the resource's other fields to why they cannot be written; sending
    one, or a field the resource does not have, is a 400 naming it.
    """

    refused_fields: dict[str, str] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            ignored = _FORM_KEYS if html.is_html_input(data) else set()
            errors = {
                name: [self.refused_fields.get(name, "Unknown field.")]
                for name in data
                if name not in writable and name not in ignored
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    @property
    def user(self) -> Any:
        return self.context["request"].user

    def validate_slug(self, value: str) -> str:
        if value == "" and self.instance is not None:
            raise serializers.ValidationError("This field may not be blank.")
        model = self.Meta.model  # type: ignore[attr-defined]  # each subclass declares Meta
        taken = model.objects.filter(slug=value).exclude(pk=getattr(self.instance, "pk", None))
        if value and taken.exists():
            raise serializers.ValidationError(f"The slug {value!r} is already taken.")
        return value


def slug_field() -> serializers.CharField:
    return serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        validators=[SLUG_RULE],
        help_text="Lower-case letters, digits, - and _; made from the title when omitted.",
    )
