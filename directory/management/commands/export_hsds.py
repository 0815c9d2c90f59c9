from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from directory.hsds_export import hsds_export


class Command(BaseCommand):
    help = (
        "Export the whole directory as Open Referral HSDS 3.1: JSON (organizations with "
        "their services nested) or, with --format csv, the tabular form as a zip of CSV "
        "files. Validated against the HSDS schemas."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--output", "-o", type=Path, help="File to write (default: standard output)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data = hsds_export(format=options["format"])
        if options["output"]:
            options["output"].write_bytes(data)
            self.stderr.write(f"Wrote {len(data)} bytes to {options['output']}.")
        else:
            sys.stdout.buffer.write(data)
