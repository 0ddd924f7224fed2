"""`python manage.py dev_admin` (`make admin`): a superuser for local development, no prompts."""

import os
import secrets
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create or reset the development superuser and print its login (DEBUG only)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", help="Default: a new random password.")
        parser.add_argument(
            "--port",
            type=int,
            default=None,
            help="The port the site is served on, for the login URL (default: $PORT or 8000).",
        )

    def handle(
        self,
        *args: Any,
        username: str,
        password: str | None = None,
        port: int | None,
        **options: Any,
    ) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "dev_admin only runs with DEBUG=1; in production use `createsuperuser`."
            )
        password = password or secrets.token_urlsafe(12)
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@localhost"}
        )
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        verb = "created" if created else "reset"
        self.stdout.write(f"{verb} superuser {username!r} with password {password!r}")
        served_on = port or os.environ.get("PORT", "8000")
        self.stdout.write(f"log in at http://127.0.0.1:{served_on}/admin/")
