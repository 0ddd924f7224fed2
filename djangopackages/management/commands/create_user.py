"""`manage.py create_user USERNAME [--password P]`: a normal (non-staff) account, no prompts."""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Create a normal user who may sign in and write through the API; prints its login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", help="Default: a new random password, printed.")
        parser.add_argument("--email", default="")

    def handle(
        self,
        *args: Any,
        username: str,
        password: str | None = None,
        email: str = "",
        **options: Any,
    ) -> None:
        User = get_user_model()
        if User.objects.filter(**{User.USERNAME_FIELD: username}).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        if password == "":
            raise CommandError(
                "--password is empty: give one, or leave the option out for a random one."
            )
        password = password if password is not None else secrets.token_urlsafe(12)
        user = User(**{User.USERNAME_FIELD: username}, email=email)
        try:
            user.full_clean(exclude=["password"])
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        self.stdout.write(f"created user {username!r} with password {password!r}")
