from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from directory import search


class Command(BaseCommand):
    help = (
        "Recompute the full-text search index and the typo-correction vocabulary "
        "(the triggers keep the index current; this repairs it after changes made "
        "outside Django, and recounts word frequencies)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        search.rebuild_index()
        self.stdout.write(
            f"Search index and vocabulary rebuilt in {time.monotonic() - started:.1f} s."
        )
