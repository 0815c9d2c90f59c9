from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory import search
from directory.models import PublicationStatus, Resource, SearchSynonym, TaxonomyTerm
from tests.factories import ResourceFactory, TopicFactory

# How people actually type, and the resource that must come up in the top three.
RELEVANCE = [
    ("my friend is suicidal", "988-suicide-crisis-lifeline"),
    ("text line", "crisis-text-line"),
    ("gay teen hotline", "the-trevor-project"),
    ("help for veterans", "veterans-crisis-line"),
    ("depresion", "mayo-clinic-depression-coping-and-support"),
    ("988", "988-suicide-crisis-lifeline"),
    ("suicide hotline", "988-suicide-crisis-lifeline"),
    ("crisis text", "crisis-text-line"),
    ("vet crisis", "veterans-crisis-line"),
    ("military family", "veterans-crisis-line"),
    ("trans", "trans-lifeline"),
    ("transgender support", "trans-lifeline"),
    ("lgbtq youth", "the-trevor-project"),
    ("queer kid", "the-trevor-project"),
    ("domestic violence", "national-domestic-violence-hotline"),
    ("abusive relationship", "national-domestic-violence-hotline"),
    ("child abuse", "childhelp-national-child-abuse-hotline"),
    ("native american", "stronghearts-native-helpline"),
    ("hurricane disaster", "disaster-distress-helpline"),
    ("find a therapist", "psychology-today-therapist-directory"),
    ("psychologist near me", "apa-psychologist-locator"),
    ("addiction", "samhsa-national-helpline"),
    ("substance abuse treatment", "findtreatment-gov"),
    ("drug rehab", "findtreatment-gov"),
    ("warmline", "warmline-directory"),
    ("someone to talk to not crisis", "warmline-directory"),
    ("mental health screening", "mha-mental-health-screening"),
    ("am i depressed test", "mha-mental-health-screening"),
    ("how to help someone thinking about suicide", "nimh-5-action-steps"),
    ("supporting a friend", "nami-supporting-a-friend"),
    ("be an ally", "mha-being-an-effective-ally"),
    ("nami", "nami-helpline"),
    ("samhsa helpline", "samhsa-national-helpline"),
    ("211", "211"),
    ("food and housing", "211"),
    ("teens", "teen-line"),
    ("young people of color", "steve-fund-crisis-text"),
    ("deaf", "988-suicide-crisis-lifeline"),
    ("crisis", "988-suicide-crisis-lifeline"),
    ("veter", "veterans-crisis-line"),
    ("anxious", "mha-mental-health-screening"),
]


def top_slugs(q: str, n: int = 3) -> list[str]:
    return list(Resource.objects.published().search(q).values_list("slug", flat=True)[:n])


@pytest.mark.parametrize(("query", "expected"), RELEVANCE)
def test_relevance_suite_puts_the_expected_resource_in_the_top_three(seeded, query, expected):
    assert expected in top_slugs(query), f"{query!r} → {top_slugs(query, 5)}"


def test_search_ranks_name_matches_above_summary_above_description_matches(db):
    in_description = ResourceFactory(name="Alpha", summary="Plain.", description="zebrafinch")
    in_summary = ResourceFactory(name="Beta", summary="About zebrafinch.", description="")
    in_name = ResourceFactory(name="Zebrafinch line", summary="Plain.", description="")

    results = list(Resource.objects.published().search("zebrafinch"))

    assert results == [in_name, in_summary, in_description]


def test_search_ranks_taxonomy_names_like_summaries(db):
    topic = TopicFactory(code="quokka-care", name="Quokka care")
    tagged = ResourceFactory(name="Gamma", summary="Plain.", topics=[topic])
    described = ResourceFactory(name="Delta", summary="Plain.", description="quokka")

    assert list(Resource.objects.published().search("quokka")) == [tagged, described]


def test_search_finds_only_published_resources(db):
    ResourceFactory(name="Okapi draft", status=PublicationStatus.DRAFT)
    ResourceFactory(name="Okapi archived", status=PublicationStatus.ARCHIVED)
    published = ResourceFactory(name="Okapi live")

    assert list(Resource.objects.published().search("okapi")) == [published]


def test_equal_matches_are_ordered_by_primary_key_so_pages_never_overlap(db):
    created = [ResourceFactory(name=f"Walrus {i}", summary="Same words.") for i in range(7)]
    # Same rank for all: identical text apart from the number.
    for resource in created:
        Resource.objects.filter(pk=resource.pk).update(name="Walrus line")
    results = Resource.objects.published().search("walrus")

    pages = [list(results[i : i + 3]) for i in range(0, 7, 3)]

    flat = [r.pk for page in pages for r in page]
    assert flat == sorted(r.pk for r in created)


def test_blank_query_leaves_the_queryset_unchanged(seeded):
    assert (
        Resource.objects.published().search("   ").count() == Resource.objects.published().count()
    )
    assert (
        Resource.objects.published().search(None).count() == Resource.objects.published().count()
    )


def test_accents_and_case_do_not_matter(db):
    ResourceFactory(name="Línea de Ayuda", summary="Apoyo en español.")

    assert top_slugs("linea ayuda") and top_slugs("LÍNEA") == top_slugs("linea")


def test_stemming_matches_other_forms_of_a_word(seeded):
    assert "veterans-crisis-line" in top_slugs("veteran")
    assert "helpguide-helping-someone-with-depression" in top_slugs("depressed", 5)


# --- Synonyms -----------------------------------------------------------------


def test_default_synonyms_widen_a_search(seeded):
    # "vet" is in no listing; the curated synonym maps it to veteran.
    assert "veterans-crisis-line" in top_slugs("vet")
    assert "samhsa-national-helpline" in top_slugs("drinking")


def test_a_synonym_added_by_a_curator_applies_to_the_next_search(seeded):
    assert top_slugs("wingman") == []

    SearchSynonym.objects.create(term="wingman", expansions="veteran")

    assert "veterans-crisis-line" in top_slugs("wingman")


def test_multi_word_synonyms_match_as_phrases(seeded):
    SearchSynonym.objects.create(term="ear doctor", expansions="hard of hearing")

    assert set(top_slugs("ear doctor", 10)) == set(
        Resource.objects.published()
        .filter(audiences__code="deaf-hard-of-hearing")
        .values_list("slug", flat=True)
    )


def test_synonym_admin_normalizes_term_and_expansions(db):
    synonym = SearchSynonym(term="  Two-Spirit  ", expansions="LGBTQ+, , two spirit, Queer people")
    synonym.full_clean()

    assert synonym.term == "two spirit"
    assert synonym.expansion_list() == ["lgbtq", "queer people"]


# --- Typos and "did you mean" -------------------------------------------------


def test_a_misspelt_word_is_corrected_and_offered_as_did_you_mean(seeded):
    assert search.did_you_mean("depresion") == "depression"
    assert search.did_you_mean("veterns crisis") == "veterans crisis"
    assert "veterans-crisis-line" in top_slugs("veterns crisis")


def test_correctly_spelt_queries_have_no_did_you_mean(seeded):
    assert search.did_you_mean("crisis text line") is None


def test_gibberish_matches_nothing_and_suggests_nothing(seeded):
    assert top_slugs("xqzvbnkw") == []
    assert search.did_you_mean("xqzvbnkw") is None


def test_an_unknown_word_is_dropped_when_other_words_match(seeded):
    assert "crisis-text-line" in top_slugs("crisis text xqzvbnkw")


def test_the_vocabulary_learns_words_of_newly_published_resources(db):
    ResourceFactory(name="Capybara circle")

    assert search.did_you_mean("capybarra") == "capybara"


def test_a_misspelling_seen_before_is_corrected_without_a_query(seeded, django_assert_num_queries):
    assert search.did_you_mean("depresion") == "depression"

    with django_assert_num_queries(0):
        assert search.did_you_mean("depresion") == "depression"
        assert search.parse_query("depresion").corrections == {"depresion": "depression"}


def test_a_word_unknown_until_a_resource_uses_it_is_then_known(db):
    assert search.did_you_mean("capybarra") is None

    ResourceFactory(name="Capybara circle")

    assert search.did_you_mean("capybarra") == "capybara"
    assert search.did_you_mean("capybara") is None


def test_rebuild_vocabulary_counts_documents(seeded):
    search.rebuild_vocabulary()

    from directory.models import SearchWord

    assert SearchWord.objects.get(word="crisis").document_count >= 8
    assert not SearchWord.objects.filter(word="").exists()


# --- Prefix matching ----------------------------------------------------------


def test_the_last_word_being_typed_matches_as_a_prefix(seeded):
    assert "veterans-crisis-line" in top_slugs("veter")
    assert "crisis-text-line" in top_slugs("text lin")


def test_only_the_last_word_matches_as_a_prefix(seeded):
    # A word followed by more words, or by a space, is finished.
    assert [t.prefix for t in search.parse_query("crisis text").terms] == [False, True]
    assert [t.prefix for t in search.parse_query("crisis text ").terms] == [False, False]


# --- Index maintenance --------------------------------------------------------


def test_renaming_a_taxonomy_term_updates_the_index(seeded):
    term = TaxonomyTerm.objects.get(taxonomy__code="topic", code="grief")
    resource = ResourceFactory(name="Plain name", summary="Plain.", topics=[term])
    assert top_slugs("mourning") == []

    term.name = "Mourning and loss"
    term.save()

    assert top_slugs("mourning") == [resource.slug]


def test_editing_linking_and_deleting_resources_updates_the_index(db):
    resource = ResourceFactory(name="Plain name", summary="Plain.")
    assert top_slugs("axolotl") == []

    resource.summary = "Axolotl friends."
    resource.save()
    assert top_slugs("axolotl") == [resource.slug]

    resource.topics.add(TopicFactory(code="pangolin", name="Pangolin"))
    assert top_slugs("pangolin") == [resource.slug]
    resource.topics.clear()
    assert top_slugs("pangolin") == []

    resource.delete()
    assert top_slugs("axolotl") == []


def test_rebuild_index_reproduces_the_trigger_maintained_index(seeded):
    before = {q: top_slugs(q, 10) for q, _ in RELEVANCE[:10]}

    search.rebuild_index()

    assert {q: top_slugs(q, 10) for q, _ in RELEVANCE[:10]} == before


def test_rebuild_index_reproduces_the_trigger_maintained_filter_tags(seeded):
    engine = search._engine("default")

    def tags() -> dict:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT resource_id, tags FROM {search.SEARCH_TABLE}")
            rows = cursor.fetchall()
        return {uuid.UUID(str(key)): sorted(engine.split_tags(value)) for key, value in rows}

    before = tags()
    search.rebuild_index()

    assert tags() == before
    lifeline = Resource.objects.get(slug="988-suicide-crisis-lifeline")
    assert {"n:1", "u:crisis", "c:text", "k:crisis-line"} <= set(before[lifeline.pk])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's index keeps it as a tag")
def test_an_index_older_than_the_published_tag_is_rebuilt_after_migrate(seeded):
    engine = search._engine("default")
    published = Resource.objects.published()
    token = engine.tag_token(engine.published_tag)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {search.SEARCH_TABLE} SET tags = replace(tags, %s, '')", [token])
    assert search.counted(published.filter(search_document__isnull=False)).count() == 0

    search.install_index()  # what post_migrate runs

    assert search.counted(published.filter(search_document__isnull=False)).count() == (
        published.count()
    )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's index keeps it as a tag")
def test_an_index_older_than_the_unpublished_tag_is_rebuilt_after_migrate(seeded):
    # Published matches are "these NOT unpublished" on the index alone, so
    # an index whose drafts lack that tag would count them.
    engine = search._engine("default")
    ResourceFactory(name="Draft crisis line", status="draft")
    token = engine.tag_token(engine.unpublished_tag)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {search.SEARCH_TABLE} SET tags = replace(tags, %s, '')", [token])
    crisis = Resource.objects.published().search("crisis line")
    assert search.count_results(crisis).value == crisis.count() + 1

    search.install_index()  # what post_migrate runs

    assert search.count_results(crisis).value == crisis.count()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps names by rowid")
def test_an_index_older_than_the_names_by_rowid_is_rebuilt_after_migrate(seeded):
    engine = search._engine("default")
    with connection.cursor() as cursor:  # the layout before names (and their index)
        cursor.execute(f"DROP INDEX {engine.rowids}_name")
        cursor.execute(f"ALTER TABLE {engine.rowids} DROP COLUMN name")

    search.install_index()  # what post_migrate runs

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {engine.rowids} m JOIN directory_resource r"
            " ON r.id = m.resource_id WHERE m.name = r.name"
        )
        assert cursor.fetchone()[0] == Resource.objects.count()
        cursor.execute(f"PRAGMA index_list({engine.rowids})")
        assert f"{engine.rowids}_name" in [row[1] for row in cursor.fetchall()]


# --- Hostile input ------------------------------------------------------------

HOSTILE = [
    '"',
    "'",
    '"unterminated phrase',
    "crisis OR 1=1; DROP TABLE directory_resource; --",
    "a & b | !c <-> d:* (e",
    "NEAR(crisis line) AND NOT text*",
    "^crisis",
    "name: crisis",
    "-crisis +line",
    "crisis\x00line",
    "\x00",
    "🙂 crisis 🆘",
    "🙂🙂🙂",
    "crisis " * 2000,
    "x" * 10_000,
    "\\",
    "%_%",
    "ＣＲＩＳＩＳ",
    "危机热线",
    "\u202ecrisis",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_input_returns_results_or_nothing_never_an_error(seeded, query):
    results = list(Resource.objects.published().search(query)[:20])
    search.count_results(Resource.objects.published().search(query))
    search.facets(Resource.objects.published().search(query))
    search.suggest(query)
    assert all(isinstance(r, Resource) for r in results)


def test_hostile_input_keeps_working_words(seeded):
    assert "crisis-text-line" in top_slugs('"crisis text" OR --')
    assert "988-suicide-crisis-lifeline" in top_slugs("🙂 crisis 🆘")


def test_a_very_long_query_uses_only_its_first_words(seeded):
    parsed = search.parse_query("crisis " + "line " * 5000)
    assert len(parsed.terms) <= search.MAX_QUERY_WORDS


# --- Counting and query counts -----------------------------------------------


def test_count_results_is_exact_up_to_the_limit_and_marked_estimated_above(seeded):
    crisis = Resource.objects.published().search("crisis")
    exact = search.count_results(crisis)
    assert exact.exact and exact.value == crisis.count()

    bounded = search.count_results(crisis, limit=3)
    assert not bounded.exact and bounded.value >= 3


def test_a_page_of_search_results_is_one_query_and_its_count_one_more(
    seeded, django_assert_num_queries
):
    search.parse_query("warm up the caches")
    # 1. the page: the search join, match, rank and order.
    with django_assert_num_queries(1):
        page = list(Resource.objects.published().search("crisis line")[:20])
    assert page
    # 1. the bounded count.
    with django_assert_num_queries(1):
        search.count_results(Resource.objects.published().search("crisis line"))


def test_listing_a_page_of_results_with_everything_shown_is_constant(
    seeded, django_assert_num_queries
):
    search.parse_query("warm up the caches")
    # 1 page + 3 prefetches (languages, channels, schedules).
    with django_assert_num_queries(4):
        page = list(Resource.objects.published().for_listing().search("crisis")[:20])
    assert len(page) > 3


def test_synonyms_and_vocabulary_load_once_per_process(seeded, django_assert_num_queries):
    with CaptureQueriesContext(connection) as first:
        search.parse_query("crisis")
    assert len(first.captured_queries) == 3  # synonyms, words, stems
    with django_assert_num_queries(0):
        search.parse_query("veterans text line")


# --- PostgreSQL specifics -----------------------------------------------------


@pytest.mark.postgres
def test_postgres_matching_ignores_accents_through_unaccent(db):
    ResourceFactory(name="Atención en crisis")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_tsvector('ally_search', 'Atención')::text")
        assert cursor.fetchone()[0] == "'atencion':1"
    assert top_slugs("atencion")


def test_rebuild_search_index_command_repairs_an_emptied_index(seeded):
    from django.core.management import call_command

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {search.SEARCH_TABLE}")
    assert top_slugs("veterans") == []

    call_command("rebuild_search_index")

    assert "veterans-crisis-line" in top_slugs("veterans")
