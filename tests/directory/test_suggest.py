from __future__ import annotations

from directory import search
from directory.models import PublicationStatus
from tests.factories import ResourceFactory


def labels(prefix: str, **kwargs) -> list[str]:
    return [s.label for s in search.suggest(prefix, **kwargs)]


def test_suggestions_complete_names_and_taxonomy_terms(seeded):
    suggestions = search.suggest("cris")

    assert suggestions[0].kind == "kind" and suggestions[0].label == "Crisis line"
    resources = [s for s in suggestions if s.kind == "resource"]
    assert resources[0].label == "Crisis Text Line"  # starts with what was typed
    assert {"Veterans Crisis Line", "988 Suicide & Crisis Lifeline"} <= {
        s.label for s in resources
    }
    assert resources[0].url == "/resources/crisis-text-line/"


def test_every_typed_word_must_start_a_word_of_the_name(seeded):
    assert labels("vet cri") == ["Veterans Crisis Line"]
    assert labels("lin crisis text") == ["Crisis Text Line"]


def test_suggestions_ignore_case_and_accents(seeded):
    assert labels("TRÉVOR") == ["The Trevor Project"]


def test_suggestions_leave_out_unpublished_resources(db):
    ResourceFactory(name="Pelican draft line", status=PublicationStatus.DRAFT)
    ResourceFactory(name="Pelican line")

    assert labels("pelic") == ["Pelican line"]


def test_suggestions_respect_the_limit_and_blank_input(seeded):
    assert len(search.suggest("c", limit=3)) == 3
    assert search.suggest("") == []
    assert search.suggest("   ") == []
    assert search.suggest("🙂") == []
    assert search.suggest('"*') == []


def test_suggestions_take_two_queries(seeded, django_assert_num_queries):
    # 1. taxonomy terms; 2. resource names (bounded candidate set).
    with django_assert_num_queries(2):
        search.suggest("cris")
