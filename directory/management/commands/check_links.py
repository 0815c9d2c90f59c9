from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from directory.links import check_links
from directory.models import LinkCheck


class Command(BaseCommand):
    help = (
        "Check every resource, organization, channel and guide reference URL and record "
        "its status; broken or moved links put their listings in the verification queue. "
        "Safe to run from cron (e.g. nightly)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, help="Requests at once (default: setting).")
        parser.add_argument("--timeout", type=float, help="Seconds per request.")
        parser.add_argument("--retries", type=int, help="Retries of temporary failures.")
        parser.add_argument("urls", nargs="*", help="Check only these URLs.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = check_links(
            urls=options["urls"] or None,
            concurrency=options["concurrency"],
            timeout=options["timeout"],
            retries=options["retries"],
        )
        for outcome in report.outcomes:
            if outcome.result in (LinkCheck.Result.BROKEN, LinkCheck.Result.MOVED):
                detail = outcome.error or f"HTTP {outcome.status_code} → {outcome.final_url}"
                self.stdout.write(f"{outcome.result.upper():8} {outcome.url}  {detail}")
        self.stdout.write(report.summary())
