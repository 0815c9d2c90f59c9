from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.seed import SEED_FILE, SeedError, load_seed


class Command(BaseCommand):
    help = (
        "Load the seed data (help resources, organizations, taxonomy). Idempotent: "
        "running it again changes nothing, and fields curators edited are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", type=Path, default=SEED_FILE, help="Directory seed file (YAML)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load_seed(path=options["file"])
        except SeedError as error:
            raise CommandError(f"Seed data not loaded, nothing was changed: {error}") from error
        self.stdout.write(report.summary())
