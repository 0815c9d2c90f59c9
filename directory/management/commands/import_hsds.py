from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.hsds_import import ImportFileError, hsds_import


class Command(BaseCommand):
    help = (
        "Import Open Referral HSDS 3.1 data: a JSON file (a service or organization "
        "document, a list of them, an HSDS page, or NDJSON) or the CSV tabular form as a "
        ".zip. All or nothing; records are matched by HSDS id, so importing twice is safe. "
        "Use --dry-run first: it reports every problem by record and field."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        try:
            report = hsds_import(data=data, filename=path.name, dry_run=options["dry_run"])
        except ImportFileError as error:
            raise CommandError(f"Nothing imported: {error}") from error
        self.stdout.write(report.summary())
        if report.errors:
            raise CommandError(f"Nothing imported: {len(report.errors)} problem(s) listed above.")
