from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from directory.models import ContactChannel, Organization, Resource, TaxonomyTerm
from directory.seed import SEED_FILE, SeedError, load_seed

FACTS_FILE = SEED_FILE.parent / "helplines.facts.yaml"


def counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "resources": Resource.objects.count(),
        "channels": ContactChannel.objects.count(),
        "terms": TaxonomyTerm.objects.count(),
    }


def test_loading_twice_leaves_identical_counts_and_changes_nothing(seeded):
    before = counts()
    stamps = dict(Resource.objects.values_list("pk", "updated_at"))

    report = load_seed()

    assert counts() == before
    assert report.created == {} and report.updated == {}
    assert dict(Resource.objects.values_list("pk", "updated_at")) == stamps


def test_every_item_of_the_facts_file_is_loaded(seeded):
    facts = yaml.safe_load(FACTS_FILE.read_text())
    names = set(Resource.objects.values_list("name", flat=True))
    assert {item["name"] for item in facts} <= names


def test_every_number_in_the_database_appears_in_the_facts_file(seeded):
    facts_digits = {
        re.sub(r"\D", "", str(channel["value"]))
        for item in yaml.safe_load(FACTS_FILE.read_text())
        for channel in item.get("channels", [])
        if channel["kind"] in ("phone", "text", "tty")
    }
    facts_digits |= {"1" + d for d in facts_digits if len(d) == 10}
    stored = set(
        ContactChannel.objects.filter(kind__in=ContactChannel.NUMBER_KINDS).values_list(
            "value", flat=True
        )
    )
    assert stored
    assert stored <= facts_digits


def test_unverified_facts_are_flagged_for_verification(seeded):
    facts = yaml.safe_load(FACTS_FILE.read_text())
    unverified = {item["name"] for item in facts if item.get("verified") is False}
    flagged = set(Resource.objects.filter(needs_verification=True).values_list("name", flat=True))
    assert unverified == flagged
    assert ContactChannel.objects.filter(
        resource__slug="nami-helpline", kind="chat", needs_verification=True
    ).exists()


def test_a_curator_edit_survives_a_rerun_and_is_reported(seeded):
    resource = Resource.objects.get(slug="crisis-text-line")
    resource.summary = "Edited by a curator."
    resource.save()
    resource.channels.filter(kind="text").update(instructions="Text HOME to start.")

    report = load_seed()

    resource.refresh_from_db()
    assert resource.summary == "Edited by a curator."
    assert resource.channels.get(kind="text").instructions == "Text HOME to start."
    assert ("resource 'crisis-text-line'", "summary") in report.kept
    assert ("resource 'crisis-text-line'", "channels") in report.kept
    assert set(resource.curator_edited_fields()) == {"summary", "channels"}


def test_seed_changes_reach_fields_a_curator_did_not_edit(seeded, tmp_path):
    text = SEED_FILE.read_text().replace(
        "Text a trained volunteer crisis counselor any time, from anywhere in the US.",
        "An updated summary from the seed file.",
    )
    changed = tmp_path / "seed.yaml"
    changed.write_text(text)

    report = load_seed(path=changed)

    assert Resource.objects.get(slug="crisis-text-line").summary == (
        "An updated summary from the seed file."
    )
    assert report.updated == {"resources": 1}


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ('value: "741741", keyword: HOME', 'value: "12", keyword: HOME', "channels[0]"),
        ("kind: crisis-line\n    urgency: crisis", "kind: nope\n    urgency: crisis", "kind"),
        ("languages: [en, es]", "languages: [xx]", "unknown language"),
        ('opens_at: "10:00"', 'opens_at: "25:99"', "opens_at"),
        ("organization: nami\n", "organization: no-such-org\n", "no organization"),
        ("\nresources:\n", "\nresources: []\nresource_list:\n", "Unknown section"),
        ("topics: [suicide-prevention, mental-health, substance-use]", "topics: x", "a list"),
    ],
)
def test_a_malformed_seed_file_fails_clearly_and_changes_nothing(
    seeded, tmp_path, replace, by, message
):
    assert replace in SEED_FILE.read_text()
    broken = tmp_path / "seed.yaml"
    broken.write_text(SEED_FILE.read_text().replace(replace, by, 1))
    Resource.objects.filter(slug="988-suicide-crisis-lifeline").update(summary="Kept.")
    before = counts()

    with pytest.raises(SeedError, match=re.escape(message)):
        load_seed(path=broken)

    assert counts() == before
    assert Resource.objects.get(slug="988-suicide-crisis-lifeline").summary == "Kept."


def test_a_seed_file_that_is_not_yaml_is_refused(db, tmp_path):
    broken = tmp_path / "seed.yaml"
    broken.write_text("resources: [unclosed")
    with pytest.raises(SeedError, match="not valid YAML"):
        load_seed(path=broken)
    assert Resource.objects.count() == 0


def test_missing_seed_file_is_refused(db):
    with pytest.raises(SeedError, match="Cannot read"):
        load_seed(path=Path("/nonexistent/seed.yaml"))
