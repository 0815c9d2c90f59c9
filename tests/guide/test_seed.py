from __future__ import annotations

import re
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from directory.models import Resource
from directory.seed import SEED_FILE, SeedError, load_seed
from guide.models import Guide, PhrasePair, Reference, Section, Tip
from guide.seed import GUIDE_SEED_FILE, load_guide_seed

FACTS_FILE = SEED_FILE.parent / "helplines.facts.yaml"

SECTION_TIPS = {
    "Why being a compassionate ally matters": [
        "Reducing stigma",
        "Promoting help-seeking",
        "Building trust",
        "Enhancing resilience",
    ],
    "Listening with empathy": [
        "Be non-judgmental",
        "Practice active listening",
        "Reflect their feelings",
        "Ask open-ended questions",
    ],
    "Providing emotional support": [
        "Offer reassurance",
        'Avoid trying to "fix" everything',
        "Check in regularly",
        "Respect boundaries",
    ],
    "Encouraging professional help": [
        "Normalize seeking help",
        "Offer assistance",
        "Be patient",
    ],
    "Educating yourself": [
        "Learn about mental health",
        "Understand their diagnosis",
        "Be aware of triggers",
    ],
    "Taking care of yourself": ["Set boundaries", "Seek support", "Practice self-care"],
}


def counts() -> dict[str, int]:
    return {
        "guides": Guide.objects.count(),
        "sections": Section.objects.count(),
        "tips": Tip.objects.count(),
        "references": Reference.objects.count(),
        "phrases": PhrasePair.objects.count(),
    }


def test_the_guide_has_its_six_sections_and_21_tips_in_order(guide_seeded):
    sections = {
        section.title: [tip.title for tip in section.tips.all()]
        for section in guide_seeded.sections.prefetch_related("tips")
    }
    assert list(sections) == list(SECTION_TIPS)
    assert sections == SECTION_TIPS
    assert sum(len(tips) for tips in sections.values()) == 21
    assert guide_seeded.introduction and guide_seeded.conclusion


def test_the_five_references_use_the_addresses_in_the_facts_file(guide_seeded):
    facts = {item["website"] for item in yaml.safe_load(FACTS_FILE.read_text())}
    references = list(guide_seeded.references.select_related("resource", "organization"))

    assert [r.publisher for r in references] == [
        "National Alliance on Mental Illness (NAMI)",
        "Mental Health America (MHA)",
        "HelpGuide",
        "National Institute of Mental Health (NIMH)",
        "Mayo Clinic",
    ]
    for reference in references:
        assert reference.url in facts
        # Each links to the directory resource seeded for it, and its organization.
        assert reference.resource.url == reference.url
        assert reference.organization == reference.resource.organization


def test_every_url_in_the_guide_text_comes_from_the_facts_file(guide_seeded):
    facts = {item["website"] for item in yaml.safe_load(FACTS_FILE.read_text())}
    text = GUIDE_SEED_FILE.read_text()
    assert set(re.findall(r"https?://[^\s)\"']+", text)) <= facts


def test_every_section_links_to_at_least_one_published_resource(guide_seeded):
    for section in guide_seeded.sections.all():
        assert section.related_resources.published().exists(), section.slug


def test_loading_twice_changes_nothing(guide_seeded):
    before = counts()
    stamps = dict(Section.objects.values_list("pk", "updated_at"))

    report = load_guide_seed()

    assert counts() == before
    assert report.created == {} and report.updated == {}
    assert dict(Section.objects.values_list("pk", "updated_at")) == stamps


def test_curator_edits_survive_a_rerun_and_are_reported(guide_seeded):
    section = Section.objects.get(slug="listening-with-empathy")
    section.body = "Edited by a curator."
    section.save()
    tip = section.tips.get(slug="ask-open-ended-questions")
    tip.related_resources.set([Resource.objects.get(slug="988-suicide-crisis-lifeline")])
    section.phrase_pairs.first().delete()

    report = load_guide_seed()

    section.refresh_from_db()
    assert section.body == "Edited by a curator."
    assert [r.slug for r in tip.related_resources.all()] == ["988-suicide-crisis-lifeline"]
    assert section.phrase_pairs.count() == 2
    assert ("section 'compassionate-ally:listening-with-empathy'", "body") in report.kept
    assert set(section.curator_edited_fields()) == {"body", "phrase_pairs"}


def test_seed_changes_reach_fields_a_curator_did_not_edit(guide_seeded, tmp_path):
    changed = tmp_path / "guide.yaml"
    changed.write_text(
        GUIDE_SEED_FILE.read_text().replace("title: Be patient", "title: Give it time")
    )

    report = load_guide_seed(path=changed)

    assert Tip.objects.filter(title="Give it time", slug="be-patient").exists()
    assert report.updated == {"tips": 1}


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("resources: [nimh-5-action-steps]\n", "resources: [no-such-thing]\n", "no-such-thing"),
        ("resource: nami-helpline", "resource: nope", "share_card.resource"),
        ("organization: mayo-clinic", "organization: nope", "no directory organization"),
        ("slug: taking-care-of-yourself", "slug: print", "slug"),
        ("    title: Be patient", "    titel: Be patient", "unknown field"),
        ("published_on: 2026-11-26", "published_on: soon", "published_on"),
        ("key: be-patient", "key: offer-assistance", "'offer-assistance' is used twice"),
        (
            "message: |-\n            Hey, are you free",
            "message: |-\n            Worried about your anxiety. Are you free",
            "share_message",
        ),
    ],
)
def test_a_malformed_guide_file_fails_clearly_and_changes_nothing(
    guide_seeded, tmp_path, replace, by, message
):
    assert replace in GUIDE_SEED_FILE.read_text()
    broken = tmp_path / "guide.yaml"
    broken.write_text(GUIDE_SEED_FILE.read_text().replace(replace, by, 1))
    Section.objects.filter(slug="educating-yourself").update(summary="Kept.")
    before = counts()

    with pytest.raises(SeedError, match=re.escape(message)):
        load_guide_seed(path=broken)

    assert counts() == before
    assert Section.objects.get(slug="educating-yourself").summary == "Kept."


def test_load_seed_command_loads_the_directory_then_the_guide(db):
    out = StringIO()
    call_command("load_seed", stdout=out)

    assert "Created: 1 guides, 5 references, 6 sections, 21 tips." in out.getvalue()
    assert Section.objects.count() == 6


def test_a_broken_guide_file_rolls_back_the_directory_load_too(db, tmp_path):
    broken = tmp_path / "guide.yaml"
    broken.write_text("guides: [unclosed")

    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("load_seed", guide_file=broken, stdout=StringIO())

    assert Resource.objects.count() == 0


def test_the_guide_needs_the_directory_loaded_first(db):
    with pytest.raises(SeedError, match="no directory resource"):
        load_guide_seed()
    load_seed()
    load_guide_seed()
