"""``manage.py api_client_create NAME --user USERNAME --scopes a,b,c [--expires DATE] [--key KEY]``.

Why a command: a partner system is set up by an operator, often from a deployment script; the key is shown
once on standard output (only its hash is stored) and never again. The client acts as ``--user``: give that
user the unit memberships (roles) the partner may act in, exactly as for a desk officer.
"""

from __future__ import annotations

from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from rest_framework_api_key.crypto import KeyGenerator

from workflows.choices import ApiScope
from workflows.models import ApiClient


class Command(BaseCommand):
    help = "Create an API client (partner system) with its scopes and print its key once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="client name (50 characters at most)")
        parser.add_argument("--user", required=True, help="username the client acts as")
        parser.add_argument(
            "--scopes",
            required=True,
            help=f"comma-separated: {', '.join(ApiScope.values)}, or 'all'",
        )
        parser.add_argument("--expires", help="last valid day, YYYY-MM-DD (default: never)")
        parser.add_argument(
            "--key",
            help="use this key instead of a random one (tests and throw-away environments only): "
            "PREFIX.SECRET, an 8-character prefix and a secret of at least 32 characters",
        )

    def handle(self, *args, **opts) -> None:
        name = opts["name"].strip()
        if not name or len(name) > 50:
            raise CommandError("NAME must have 1–50 characters.")
        user = get_user_model().objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(f"no user named “{opts['user']}”.")
        if ApiClient.objects.filter(user=user).exists():
            raise CommandError(f"user “{user.username}” already has an API client (one client per user).")
        raw = [s.strip() for s in opts["scopes"].split(",") if s.strip()]
        scopes = list(ApiScope.values) if raw == ["all"] else raw
        unknown = sorted(set(scopes) - set(ApiScope.values))
        if unknown or not scopes:
            raise CommandError(
                f"unknown scopes {unknown}; choose from {', '.join(ApiScope.values)} or 'all'."
            )
        expiry = None
        if opts["expires"]:
            try:
                day = datetime.strptime(opts["expires"], "%Y-%m-%d").date()
            except ValueError:
                raise CommandError("--expires must be YYYY-MM-DD.") from None
            expiry = timezone.make_aware(datetime.combine(day, time.max))
        with transaction.atomic():
            if opts["key"]:
                key = opts["key"]
                prefix, dot, secret = key.partition(".")
                if not dot or len(prefix) != 8 or len(secret) < 32 or not key.isascii():
                    raise CommandError("--key must be PREFIX.SECRET with an 8-character prefix, 32+ secret.")
                if ApiClient.objects.filter(prefix=prefix).exists():
                    raise CommandError("a client with this key prefix exists.")
                hashed = KeyGenerator().hash(key)
                client = ApiClient(name=name, user=user, scopes=scopes, expiry_date=expiry)
                client.id, client.prefix, client.hashed_key = f"{prefix}.{hashed}", prefix, hashed
                client.save(force_insert=True)
            else:
                client, key = ApiClient.objects.create_key(
                    name=name, user=user, scopes=scopes, expiry_date=expiry
                )
        self.stdout.write(f"client: {client.name} (prefix {client.prefix}) as {user.username}")
        self.stdout.write(f"scopes: {', '.join(client.scopes)}")
        self.stdout.write("key (shown once, store it now):")
        self.stdout.write(key)
