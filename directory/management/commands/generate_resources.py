from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.synthetic import (
    SyntheticDataError,
    delete_synthetic_resources,
    generate_resources,
)


class Command(BaseCommand):
    help = (
        "Create N synthetic resources for benchmarks (marked is_synthetic, example.org URLs, "
        "fictional 555-01xx numbers), or delete all of them with --delete."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--count", type=int, help="How many resources to create.")
        group.add_argument(
            "--delete", action="store_true", help="Delete every synthetic resource."
        )
        parser.add_argument("--seed", type=int, default=0, help="Random seed (default 0).")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if options["delete"]:
            deleted = delete_synthetic_resources()
            self.stdout.write(
                f"Deleted {deleted} synthetic resources in {time.monotonic() - started:.0f} s."
            )
            return
        count = options["count"]
        if count is None or count < 1:
            raise CommandError("--count must be a positive number.")

        def progress(done: int) -> None:
            if done % 50_000 == 0 or done == count:
                elapsed = time.monotonic() - started
                self.stdout.write(f"  {done:>9,} resources inserted ({elapsed:.0f} s)")

        try:
            generate_resources(
                count=count,
                seed=options["seed"],
                batch_size=options["batch_size"],
                progress=progress,
            )
        except SyntheticDataError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Created {count:,} synthetic resources (index and vocabulary rebuilt) "
            f"in {time.monotonic() - started:.0f} s."
        )
