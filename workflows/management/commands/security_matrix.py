"""``manage.py security_matrix``: print every URL pattern of the site with its access verdict.

The table is ``workflows.security_matrix`` (checked against real responses by ``tests/security``); printing
it lets a reviewer or an auditor (TCVN 11930:2017, access control) read who may reach what without reading
code. Exits non-zero when a pattern is unclassified, so ``make security`` fails on an unscoped page.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from workflows.security_matrix import VERDICTS, matrix


class Command(BaseCommand):
    help = "In bảng phân quyền: mỗi mẫu URL và kết luận truy cập của nó."

    def handle(self, *args, **options) -> None:
        rows = matrix()
        width = max(len(route or "/") for route, _name, _verdict in rows)
        for route, name, verdict in rows:
            self.stdout.write(f"/{route:<{width}}  {verdict or 'UNCLASSIFIED':<13} {name or ''}")
        self.stdout.write("")
        for key, text in VERDICTS.items():
            count = sum(1 for _r, _n, v in rows if v == key)
            self.stdout.write(f"{key:<13} {count:>4}  {text}")
        missing = [route for route, _name, verdict in rows if verdict is None]
        self.stdout.write(f"{'total':<13} {len(rows):>4}")
        if missing:
            raise CommandError(f"unclassified URL patterns: {', '.join('/' + m for m in missing)}")
