from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from directory.seed import SEED_FILE, SeedError, load_seed
from guide.seed import GUIDE_SEED_FILE, load_guide_seed


class Command(BaseCommand):
    help = (
        "Load the seed data (help resources, organizations, taxonomy, then the ally guide). "
        "Idempotent: running it again changes nothing, and fields curators edited are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", type=Path, default=SEED_FILE, help="Directory seed file (YAML)."
        )
        parser.add_argument(
            "--guide-file", type=Path, default=GUIDE_SEED_FILE, help="Guide seed file (YAML)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            # One transaction: the guide links to directory records, so a
            # broken guide file must not leave a half-updated directory.
            with transaction.atomic():
                report = load_seed(path=options["file"])
                guide_report = load_guide_seed(path=options["guide_file"])
        except SeedError as error:
            raise CommandError(f"Seed data not loaded, nothing was changed: {error}") from error
        self.stdout.write("Directory\n" + report.summary())
        self.stdout.write("Guide\n" + guide_report.summary())
