"""Full-text search over resources: one entry point, one implementation per engine.

Callers use ``Resource.objects.published().search(q)`` (or the ``q`` filter of
``directory.filters.ResourceFilterSet``) and never see the engine. This module
is the only place that knows which database it talks to.

How a search runs, stage by stage:

1. **Understanding the query** (engine-independent, ``parse_query``). The text
   is normalized (case, accents, NUL and control characters, operators:
   only letters and digits survive), capped at ``MAX_QUERY_WORDS`` words, and
   each word checked against the vocabulary of indexed words
   (``SearchWord``). A word the index has never seen cannot match, so it is
   corrected to the closest known word by edit distance (preferring common
   words), which is also the "did you mean" suggestion. Curated synonyms
   (``SearchSynonym``, edited in the admin) widen a word or phrase into
   alternatives ("suicidal" → suicide, crisis). Stop-words ("help", "my
   friend") are dropped unless nothing else is left. The last word, while
   still being typed, also matches as a prefix.
2. **Matching** (per engine). All terms must match (AND); the alternatives of
   one term are ORed. On PostgreSQL the terms become a ``tsquery`` matched
   against a weighted ``tsvector`` (name A; summary, kind, topics and
   audiences B; description C) in its own table with a GIN index; on SQLite
   an FTS5 query against an FTS5 table with the same four fields. Both are
   kept current by triggers, including when a taxonomy term is renamed, and
   both ignore accents and stem English words.
3. **Ranking** with the same intent on both engines: first resources whose
   name contains a word of the query (``NAME_MATCH_TIER``), then by
   ``ts_rank`` with the weights above, or ``bm25`` with column weights
   10/4/4/1, so a name match beats a summary match beats a description
   match; scores are multiplied by a stored prior favouring resources for
   anyone (``BROAD_AUDIENCE_BOOST``). Ties are broken by the primary key, so
   paging never repeats or skips a result.
4. **Bounding the work for words that nearly every listing contains.** Such
   a word carries almost no information, and ranking or counting all its
   matches is what makes naive full-text search slow. When a search matches
   more than ``RANK_WINDOW`` resources, only the first ``RANK_WINDOW``
   matches of the filtered queryset in index order (FTS5 rowid order; the
   GIN bitmap scan's physical order) are ranked, so the cost stays bounded
   however common the word; relevance order reaches ``RANK_WINDOW`` results
   deep (as a search engine's "max result window"). Totals and facets count
   every match (``matches_of``), exactly up to ``EXACT_COUNT_LIMIT`` and
   estimated above it (``count_results``). On PostgreSQL, where every
   statement over a GIN index first builds its bitmap of every candidate,
   the total of a search on the index alone also ranks its window, in one
   statement, and a page asked for after its total takes its best keys
   from there (``shared_window``): one bitmap instead of two.

5. **Filters in the index.** Each index row carries its resource's filter
   tags (``TAG_PREFIXES``: kind, topics, audiences, urgency, cost, channels,
   languages, areas, states, map-grid cells), kept current by the same
   triggers, so the index intersects words and filters in one lookup
   (``tagged``), and ``facets`` counts tags instead of joining five tables.
   The row also knows whether the resource is published (a column on
   PostgreSQL, a tag on SQLite): a query whose every condition is on the
   index runs its window, total and facets on the index table alone
   (``_on_index_alone``). On PostgreSQL it also keeps the name, so name
   order walks a covering index there (``order_by_name``).

Facets (``facets``), search-as-you-type suggestions (``suggest``) and the
"did you mean" text (``did_you_mean``) live here too.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import math
import re
import threading
import time
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import snowballstemmer
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections, models, transaction
from django.db.models import Expression, FloatField, Min, Subquery, Value
from django.db.models.sql.compiler import SQLCompiler
from rapidfuzz import process
from rapidfuzz.distance import OSA

# --- Tunables -------------------------------------------------------------

# Words of a query that are used; the rest is ignored (a pasted paragraph
# must not become a 2,000-term query).
MAX_QUERY_WORDS = 12
# Longest single word considered (longer "words" are noise, e.g. pasted hashes).
MAX_WORD_LENGTH = 40
# Ranking every match of a word found in most listings is the known trap;
# above this many matches only a bounded window of candidates is ranked.
RANK_WINDOW = 500
# The last word of a query also matches as a prefix while it may still be
# being typed: when the index does not know it as a word, or it is this
# short ("anx", "text" → "texting").
COMPLETE_WORD_LENGTH = 4
# Totals are exact up to this many results, estimated above it.
EXACT_COUNT_LIMIT = 1000
# How long a process trusts its copy of the synonyms and the vocabulary
# when nothing tells it they changed (another process may have changed them).
KNOWLEDGE_TTL_SECONDS = 300
# Unknown words whose correction each process remembers (``_Knowledge.resolved``).
MAX_RESOLVED_WORDS = 5000

SEARCH_TABLE = "directory_resource_search"

# A ranking prior stored with each document: resources for anyone (the
# "anyone" audience) rank this much higher than niche ones with the same text
# match, so a bare "crisis" puts 988 before a line for one community. A query
# that names an audience still only matches resources for it.
BROAD_AUDIENCE_CODE = "anyone"
BROAD_AUDIENCE_BOOST = 0.25
# Added to the rank of resources whose name contains a word of the query.
# BM25's IDF gives words found in most listings almost no weight, which
# would let a long description outrank a name; the tier keeps names first.
NAME_MATCH_TIER = 1000.0

# Words that say nothing about which resource is wanted: function words,
# and words like "help" and "support" that are in nearly every listing, or
# "my friend", which is how worried people start a query. Dropped unless
# nothing else is left (then function words alone are dropped).
FUNCTION_WORDS = frozenset(
    """
    a about am an and are as at be been but by can could do does for from get go has
    have how i im in into is it its me my of on or our please she he her him his so
    some that the their them there they this to us was we what when where which who
    with would you your near nearby
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
NOISE_WORDS = frozenset(
    """
    help helps helping helpful support supports supporting supported someone
    somebody friend friends buddy person need needs want wants find finding looking
    resource resources
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
STOP_WORDS = FUNCTION_WORDS | NOISE_WORDS

_STEMMER = snowballstemmer.stemmer("english")
_STEM_LOCK = threading.Lock()
_WORD_RE = re.compile(r"[^\W_]+")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


# --- Text normalization ---------------------------------------------------


def normalize_text(text: str) -> str:
    """Lower-case ``text`` without accents, control characters or NUL bytes.

    The same normalization applies to queries, synonyms and the vocabulary,
    so "Depresión", "DEPRESION" and "depresion" are one word.
    """
    text = _CONTROL_RE.sub(" ", str(text))
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def tokenize(text: str) -> list[str]:
    """The words of ``text`` as the search sees them (letters and digits only)."""
    return [w for w in _WORD_RE.findall(normalize_text(text)) if len(w) <= MAX_WORD_LENGTH]


def stem(word: str) -> str:
    # snowballstemmer's stemmer objects keep state; a lock keeps threads apart.
    with _STEM_LOCK:
        return _STEMMER.stemWord(word)


# --- Synonyms and vocabulary, cached per process --------------------------

_VERSION_KEY = "directory.search.knowledge-version"


@dataclass
class _Knowledge:
    version: Any
    loaded_at: float
    synonyms: dict[tuple[str, ...], list[tuple[str, ...]]]
    longest_synonym: int
    synonym_words: frozenset[str]
    counts: dict[str, int]
    stems: frozenset[str]
    sorted_words: list[str]
    # Words this knowledge does not know, each with its correction (or None):
    # resolving one costs an index lookup and a fuzzy scan of the vocabulary
    # (~6 ms), and the API parses a query twice (results, did_you_mean).
    # Forgotten with the rest when the knowledge reloads (edits, TTL).
    resolved: dict[str, str | None] = field(default_factory=dict)


_knowledge_lock = threading.Lock()
_knowledge: _Knowledge | None = None


def clear_caches() -> None:
    """Forget the cached synonyms and vocabulary in every process (when shared)."""
    global _knowledge
    cache.set(_VERSION_KEY, uuid.uuid4().hex, None)
    with _knowledge_lock:
        _knowledge = None


def _load_knowledge() -> _Knowledge:
    global _knowledge
    from directory.models import SearchSynonym, SearchWord

    version = cache.get(_VERSION_KEY)
    current = _knowledge
    if (
        current is not None
        and current.version == version
        and time.monotonic() - current.loaded_at < KNOWLEDGE_TTL_SECONDS
    ):
        return current
    synonyms: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for synonym in SearchSynonym.objects.all():
        key = tuple(synonym.term.split())
        if key:
            synonyms[key] = [tuple(p.split()) for p in synonym.expansion_list()]
    counts = dict(SearchWord.objects.values_list("word", "document_count"))
    loaded = _Knowledge(
        version=version,
        loaded_at=time.monotonic(),
        synonyms=synonyms,
        longest_synonym=max((len(k) for k in synonyms), default=0),
        synonym_words=frozenset(w for k in synonyms for w in k),
        counts=counts,
        stems=frozenset(SearchWord.objects.values_list("stem", flat=True).distinct()),
        sorted_words=sorted(counts),
    )
    with _knowledge_lock:
        _knowledge = loaded
    return loaded


def _resource_words(values: Iterable[str]) -> set[str]:
    return {w for value in values if value for w in tokenize(value)}


def add_to_vocabulary(words: Iterable[str]) -> None:
    """Make ``words`` known to the vocabulary (counts stay a lower bound)."""
    from directory.models import SearchWord

    rows = [
        SearchWord(word=w[:100], stem=stem(w)[:100], document_count=1)
        for w in sorted(set(words))
        if not w.isdigit() or len(w) <= 6
    ]
    if rows:
        SearchWord.objects.bulk_create(rows, ignore_conflicts=True)
        clear_caches()


def rebuild_vocabulary(*, using: str = "default") -> int:
    """Recount every word of every published resource and taxonomy term.

    Streams the resources, so memory stays bounded at a million listings.
    Returns the number of distinct words.
    """
    from directory.models import Resource, SearchWord, TaxonomyTerm

    counts: Counter[str] = Counter()
    rows = (
        Resource.objects.using(using)
        .published()
        .values_list("name", "alternate_name", "summary", "description", "kind__name")
        .order_by()
        .iterator(chunk_size=5000)
    )
    for row in rows:
        counts.update(_resource_words(row))
    for name in TaxonomyTerm.objects.using(using).values_list("name", flat=True):
        for word in tokenize(name):
            counts[word] = max(counts[word], 1)
    with transaction.atomic(using=using):
        SearchWord.objects.using(using).all().delete()
        SearchWord.objects.using(using).bulk_create(
            (
                SearchWord(word=w[:100], stem=stem(w)[:100], document_count=n)
                for w, n in counts.items()
                if not w.isdigit() or len(w) <= 6
            ),
            batch_size=5000,
        )
    clear_caches()
    return len(counts)


# --- Query understanding --------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One thing the query asks for: any of ``alternatives`` (each a phrase) must match.

    ``prefix`` marks the last word while it is still being typed: the first
    alternative then also matches words that start with it.
    """

    alternatives: tuple[tuple[str, ...], ...]
    prefix: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """What a query asks for, independent of the engine.

    ``corrections`` maps words as typed to the known words used instead;
    ``unknown`` lists words that match nothing and have no correction.
    """

    text: str
    terms: tuple[Term, ...] = ()
    corrections: dict[str, str] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()

    @property
    def is_blank(self) -> bool:
        """Nothing searchable was typed: the search does not narrow anything."""
        return not self.terms and not self.unknown

    @property
    def matches_nothing(self) -> bool:
        """Words were typed, but none the index knows or can correct."""
        return not self.terms and bool(self.unknown)

    @property
    def corrected_text(self) -> str | None:
        if not self.corrections:
            return None
        return " ".join(self.corrections.get(w, w) for w in tokenize(self.text)[:MAX_QUERY_WORDS])


def _is_known(word: str, knowledge: _Knowledge, *, as_prefix: bool) -> bool:
    if word in knowledge.counts or stem(word) in knowledge.stems:
        return True
    if word in knowledge.synonym_words or word in STOP_WORDS:
        return True
    if as_prefix:
        i = bisect.bisect_left(knowledge.sorted_words, word)
        return i < len(knowledge.sorted_words) and knowledge.sorted_words[i].startswith(word)
    return False


def _correction(word: str, knowledge: _Knowledge) -> str | None:
    """The closest known word to ``word``, or None when nothing is close enough."""
    if len(word) < 4 or word.isdigit():
        return None
    max_edits = 1 if len(word) <= 5 else 2
    choices = [*knowledge.counts, *(" ".join(k) for k in knowledge.synonyms if len(k) == 1)]
    found = process.extract(word, choices, scorer=OSA.distance, score_cutoff=max_edits, limit=None)
    if not found:
        return None
    # Fewest edits first; among equals, the word most listings use.
    best = min(found, key=lambda m: (m[1], -knowledge.counts.get(m[0], 0), m[0]))
    return best[0]


def parse_query(text: str | None, *, using: str = "default") -> ParsedQuery:
    """Turn what someone typed into terms the engines can match; see the module docstring.

    Costs no query when the synonyms and vocabulary are cached and every word
    is known; a word the vocabulary does not know costs one indexed lookup.
    """
    text = "" if text is None else str(text)
    words = tokenize(text)[:MAX_QUERY_WORDS]
    if not words:
        return ParsedQuery(text=text)
    knowledge = _load_knowledge()
    still_typing = bool(text) and not text[-1].isspace() and _WORD_RE.match(text[-1]) is not None
    still_typing = still_typing and len(tokenize(text)) <= MAX_QUERY_WORDS

    corrections: dict[str, str] = {}
    unknown: list[str] = []
    checked: list[str] = []
    for i, word in enumerate(words):
        as_prefix = still_typing and i == len(words) - 1
        if _is_known(word, knowledge, as_prefix=as_prefix):
            checked.append(word)
            continue
        if word in knowledge.resolved:
            corrected = knowledge.resolved[word]
        elif _engine(using).word_exists(word, using):
            # The vocabulary lags behind bulk updates; the index does not.
            add_to_vocabulary([word])
            checked.append(word)
            continue
        else:
            corrected = _correction(word, knowledge)
            if len(knowledge.resolved) >= MAX_RESOLVED_WORDS:
                knowledge.resolved.clear()  # bounded, whatever people type
            knowledge.resolved[word] = corrected
        if corrected:
            corrections[word] = corrected
            checked.append(corrected)
        else:
            unknown.append(word)
    if not checked:
        return ParsedQuery(text=text, corrections=corrections, unknown=tuple(unknown))

    # Synonyms: longest phrase first at each position.
    groups: list[tuple[tuple[str, ...], list[tuple[str, ...]]]] = []
    i = 0
    while i < len(checked):
        for size in range(min(knowledge.longest_synonym, len(checked) - i), 0, -1):
            phrase = tuple(checked[i : i + size])
            if phrase in knowledge.synonyms:
                groups.append((phrase, knowledge.synonyms[phrase]))
                i += size
                break
        else:
            groups.append(((checked[i],), []))
            i += 1

    def without(stop_words: frozenset[str]) -> list:
        return [g for g in groups if g[1] or not all(w in stop_words for w in g[0])]

    groups = without(STOP_WORDS) or without(FUNCTION_WORDS) or groups
    last_typed = words[-1] if still_typing and words[-1] not in corrections else None
    if last_typed and len(last_typed) > COMPLETE_WORD_LENGTH and last_typed in knowledge.counts:
        # A long word the index knows is most likely finished ("disorders"):
        # widening it to every word it begins would cost a scan of the
        # index's word list for almost nothing.
        last_typed = None
    terms = []
    for n, (phrase, expansions) in enumerate(groups):
        alternatives = tuple(dict.fromkeys([phrase, *expansions]))
        prefix = (
            n == len(groups) - 1 and phrase == (last_typed,) and len(phrase[0]) >= 2
        ) and not phrase[0].isdigit()
        terms.append(Term(alternatives=alternatives, prefix=prefix))
    return ParsedQuery(
        text=text, terms=tuple(terms), corrections=corrections, unknown=tuple(unknown)
    )


def did_you_mean(text: str | None, *, using: str = "default") -> str | None:
    """The query with misspelt words corrected, or None when nothing needed correcting.

    The search itself already uses the corrected words (a word the index has
    never seen matches nothing); this is the text to show as "did you mean"
    or "showing results for".
    """
    return parse_query(text, using=using).corrected_text


# --- Engines --------------------------------------------------------------


class _SearchSQL(Expression):
    """SQL over the joined search table, whatever alias the query gave it.

    ``{table}`` in the template becomes that alias at compile time, so the
    expression stays right inside subqueries (facets, windows) where Django
    relabels tables.
    """

    def __init__(self, template: str, params: list[Any], output_field: models.Field) -> None:
        super().__init__(output_field=output_field)
        self.template = template
        self.params = params

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.template!r})"

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any]]:
        aliases = [
            alias
            for alias, join in compiler.query.alias_map.items()
            if join.table_name == SEARCH_TABLE
        ]
        if len(aliases) != 1:
            raise ValueError("A search expression needs exactly one join to the search table.")
        table = compiler.quote_name_unless_alias(aliases[0])
        return self.template.format(table=table), list(self.params)


class _TagTest(_SearchSQL):
    """A tag condition that knows its tags: ``match_tags`` (answered by the
    index, only at the top of a WHERE clause on SQLite) or ``has_tags``
    (tested row by row, allowed anywhere), so that ``_tighter_tag_tests``
    can restate one as the other."""

    def __init__(self, template: str, params: list[Any], tags: Iterable[str]) -> None:
        super().__init__(template, params, models.BooleanField())
        self.tags = frozenset(tags)


class _RankWindow(Expression):
    """``{table}.{key} IN (window)``: the outer search query ranks only these rows.

    ``window`` selects the search-table keys of the first ``RANK_WINDOW``
    matches of the filtered queryset in index order. ``count_results``
    recognizes this node and counts without it.

    Where the engine ranks inside the window (``ranks_window``), ``ranked``
    selects the same matches with their rank, and a query for a page in
    relevance order keeps only its best ``offset + limit`` of them: the
    database ranks the index rows alone and joins only the page's
    resources, where it used to join all 500 candidates before sorting
    them (15 → 5 ms for a word in 14% of listings). The cut serves only the
    query it was made for (``ranked_query``: the rank order and the
    conditions ``search_queryset`` left): a filter added after the search
    could otherwise empty a page that the whole window would have filled.

    Where the engine counts with the window (``window_count_template``) and
    the window is on the index alone (``counts_all``: its rows are every
    match), ``count_results`` ranks it while counting and leaves its keys,
    best first, in ``known_keys``: a page compiled after that tests its
    best keys instead of running the window again.
    """

    conditional = True
    output_field = models.BooleanField()

    def __init__(
        self, window: models.QuerySet, template: str, ranked: models.QuerySet | None = None
    ) -> None:
        super().__init__(output_field=models.BooleanField())
        self.window = Subquery(window)
        self.ranked = None if ranked is None else Subquery(ranked)
        self.template = template
        # (order_by, number of WHERE conditions) of the search's own query.
        self.ranked_query: tuple[tuple, int] | None = None
        self.counts_all = False
        self.known_keys: list[Any] | None = None

    def get_source_expressions(self) -> list[Any]:
        return [self.window, self.ranked]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.window, self.ranked = exprs

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any]]:
        table = _SearchSQL("{table}", [], FloatField()).as_sql(compiler, connection)[0]
        query = compiler.query
        if (
            self.ranked is not None
            and query.high_mark is not None
            and (tuple(query.order_by), len(query.where.children)) == self.ranked_query
            and query.where.connector == "AND"
            and not query.where.negated
        ):
            best = min(int(query.high_mark), RANK_WINDOW)
            if self.known_keys is not None:
                engine = _engine(compiler.connection.alias)
                return engine.known_window_template.format(table=table), [self.known_keys[:best]]
            ranked_sql, params = compiler.compile(self.ranked)
            window_sql = (
                f'(SELECT w."_key" FROM {ranked_sql} w ORDER BY w."_rank" DESC, w."_key"'
                f" LIMIT {best})"
            )
        else:
            window_sql, params = compiler.compile(self.window)
        return self.template.format(table=table, window=window_sql), list(params)


class _OrderWindow(_RankWindow):
    """``key IN (first others by name UNION ALL nearby)``: the outer query orders only these.

    For distance order: every resource with a location in the radius
    (``nearby``, keys of locations), then the others by name, of which a
    page ending at row N can show at most the first N (and never more than
    ``RANK_WINDOW``, as relevance order). The window takes its bound from
    the outer query's slice when it compiles, so the first page reads the
    first 20 names, not 500. As one test against a small union (the
    engine's ``key_set_template``), the database starts from these few
    keys instead of testing every candidate against them. Like
    ``_RankWindow``, ``matches_of`` removes it, so totals count every match.
    Where the engine says so (``nearest_first``), the nearby part is bounded
    by the page too (``_nearest``, from each nearby resource's ``distances``
    and the keys of all ``matches``).
    """

    def __init__(
        self,
        key: Any,
        window: models.QuerySet,
        nearby: models.QuerySet,
        distances: models.QuerySet | None,
        matches: models.QuerySet | None,
        *,
        walk: bool = False,
    ) -> None:
        Expression.__init__(self, output_field=models.BooleanField())
        self.key, self.window, self.nearby = key, Subquery(window), Subquery(nearby)
        self.distances = None if distances is None else Subquery(distances)
        self.matches = None if matches is None else Subquery(matches)
        # True when ``window`` selects the others' index rowids, unordered,
        # for the engine to take the first by name (``first_by_name``).
        self.walk = walk

    def get_source_expressions(self) -> list[Any]:
        return [self.key, self.window, self.nearby, self.distances, self.matches]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.key, self.window, self.nearby, self.distances, self.matches = exprs

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any]]:
        high = compiler.query.high_mark
        limit = RANK_WINDOW if high is None else min(high, RANK_WINDOW)
        key, key_params = compiler.compile(self.key)
        engine = _engine(compiler.connection.alias)
        if self.walk:
            candidates, window_params = compiler.compile(self.window)
            window_sql = engine.first_by_name(candidates, limit)
        else:
            window = self.window.copy()
            window.query = window.query.clone()
            window.query.set_limits(high=limit)
            window_sql, window_params = compiler.compile(window)
        if high is not None and self.distances is not None:
            nearby, nearby_params = self._nearest(compiler, max(high, 1))
        else:
            nearby, nearby_params = compiler.compile(self.nearby)
        keys = f"SELECT * FROM {window_sql} w UNION ALL SELECT * FROM {nearby} n"
        return (
            _key_set_sql(compiler, connection, key, keys),
            [*key_params, *window_params, *nearby_params],
        )

    def _nearest(self, compiler: SQLCompiler, count: int) -> tuple[str, list[Any]]:
        """The nearby matches up to the ``count``-th nearest, ties included
        (``_Engine.nearest_sql``): a page reads a few dozen candidates, not
        every listing in a city (four thousand within 25 miles of San
        Francisco at a million listings). Ties at the cut are all kept, so
        the outer query's order (distance, then name) decides between them.
        """
        distances = compiler.compile(self.distances)
        matches = compiler.compile(self.matches)
        return _engine(compiler.connection.alias).nearest_sql(distances, matches, count)


def _key_set_sql(compiler: SQLCompiler, connection: Any, key: str, keys: str) -> str:
    """``key`` is among the keys the ``keys`` SELECT gives, in the engine's
    ``key_set_template`` (which may test the joined index row instead)."""
    table = _SearchSQL("{table}", [], FloatField()).as_sql(compiler, connection)[0]
    return _engine(compiler.connection.alias).key_set_template.format(
        key=key, keys=keys, table=table
    )


class _KeyIn(Expression):
    """The index row's resource key is among the keys ``keys`` selects, tested
    as the engine tests such key sets best (``key_set_template``).

    For conditions moved onto the index alone (``_index_condition``).
    """

    conditional = True

    def __init__(self, keys: Any) -> None:
        super().__init__(output_field=models.BooleanField())
        self.keys = Subquery(keys)

    def get_source_expressions(self) -> list[Any]:
        return [self.keys]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.keys,) = exprs

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any]]:
        key, key_params = compiler.compile(_engine(compiler.connection.alias).index_key())
        keys, params = compiler.compile(self.keys)
        sql = _key_set_sql(compiler, connection, key, f"SELECT * FROM {keys} k")
        return sql, [*key_params, *params]


class _Engine:
    vendor = ""
    # How the outer query tests window membership, and the window's key.
    window_template = ""
    window_key = ""
    window_ordered = True
    # Whether a page in relevance order takes its best rows from the window
    # before joining resources (``_RankWindow``), rather than joining the
    # whole window to sort it.
    ranks_window = False
    # Where set (only with ``ranks_window``), ``count_results`` counts a
    # search's matches and ranks its window in this one statement, and the
    # page that follows takes the window's best keys from it
    # (``known_window_template``) instead of reading the matches again.
    # Formatted with ``sql`` (the window's first matches with their ``_key``
    # and ``_rank``: ``limit`` or ``RANK_WINDOW`` of them, the more),
    # ``limit`` (the count's bound) and ``window`` (``RANK_WINDOW``); gives
    # the bounded count and the window's keys, best first.
    window_count_template = ""
    known_window_template = ""
    # Whether _joined drops the "index row IS NOT NULL" test that made the
    # join (the join condition implies it).
    drops_join_test = True
    # Whether _on_index_alone takes a test of the resource key against a
    # subquery ("near": the locations in the radius) onto the index alone.
    key_tests_alone = True
    # Whether a distance page reads only the nearby matches it can show
    # (``_OrderWindow._nearest``) rather than every one in the radius. Its
    # test of a nearby resource is against the index rows that would match
    # a resource located there (``_nearby_matches``), selecting this column;
    # where the index cannot say alone, against every match's key if
    # ``nearest_tests_keys``, else the page is not bounded.
    nearest_first = False
    nearby_match_column = "{table}.resource_id"
    nearest_tests_keys = False
    # How a query keeps only the keys a subquery selects (``_OrderWindow``).
    key_set_template = "{key} IN ({keys})"
    # Whether the distance window takes the others' first names by walking
    # a name index over their rowids (``first_by_name``) rather than by
    # sorting them.
    walks_names = False

    def nearest_sql(
        self, distances: tuple[str, list[Any]], matches: tuple[str, list[Any]], count: int
    ) -> tuple[str, list[Any]]:
        """A subquery of the keys of the nearby resources (``distances``:
        each one's key and distance) that are among ``matches``, up to the
        ``count``-th nearest of them, ties included."""
        raise NotImplementedError

    def first_by_name(self, candidates: str, limit: int) -> str:
        """A subquery of the resource keys of the first ``limit`` index rows
        by name (then key) among the rowids ``candidates`` selects."""
        raise NotImplementedError

    def install(self, connection: Any) -> None:
        raise NotImplementedError

    def drop_triggers(self, connection: Any) -> None:
        raise NotImplementedError

    def rebuild(self, connection: Any) -> None:
        raise NotImplementedError

    def indexed_count(self, connection: Any) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {SEARCH_TABLE}")
            return cursor.fetchone()[0]

    def bulk_insert(self, connection: Any, table: str, columns: list[str], rows: list) -> None:
        """Insert prepared ``rows`` into ``table`` as fast as the engine allows."""
        quote = connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(table), ", ".join(quote(c) for c in columns), ", ".join(["%s"] * len(columns))
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    def match(self, parsed: ParsedQuery) -> Expression:
        raise NotImplementedError

    def rank(self, parsed: ParsedQuery) -> Expression:
        raise NotImplementedError

    def prefix_name_match(self, words: list[str]) -> Expression:
        raise NotImplementedError

    def estimate_count(self, queryset: models.QuerySet) -> int | None:
        """The engine's estimate of how many rows ``queryset`` has, if it has one."""
        return None

    # Whether ``estimate_rows`` estimates (else it gives None).
    estimates = False

    def estimate_rows(self, connection: Any, sql: str, params: Any) -> int | None:
        """The engine's estimate of how many rows the statement ``sql`` gives, if it has one."""
        return None

    # How ``count_results`` counts the rows of ``{sql}``, stopping after
    # ``{limit}``; the second when a condition is costly row by row
    # (``count_statement``).
    bounded_count_template = "SELECT count(*) FROM ({sql} LIMIT {limit}) counted"
    fully_planned_count_template = bounded_count_template

    def is_stale(self, connection: Any) -> bool:
        """Whether index rows predate a column this version fills (then rebuild)."""
        return False

    # Whether index rows know if their resource is published, so that a
    # search whose every condition is on the index can run on it alone.
    knows_published = False

    def published(self) -> Expression:
        raise NotImplementedError

    def published_conditions(self, conditions: list[Any]) -> list[Any]:
        """``conditions`` on the index table (ANDed) with "its resource is
        published" among them."""
        from django.db.models.lookups import Exact

        return [Exact(self.published(), True), *conditions]

    def name_order(self) -> list[Any]:
        """ORDER BY terms for name order (then primary key), for a queryset joined to the index."""
        return ["name", "pk"]

    def resource_key(self, alias: str) -> Any:
        """The resource's primary key, preferably as the index row (``alias``) has it."""
        return models.F("pk")

    def index_key(self) -> Expression:
        """The index row's resource key, for queries on the index table alone."""
        raise NotImplementedError

    def index_name_order(self) -> list[Any]:
        """ORDER BY terms for name order (then key), for queries on the index table alone."""
        raise NotImplementedError

    def match_tags(self, tags: Iterable[str]) -> Expression:
        raise NotImplementedError

    def tags_of(self) -> Expression:
        raise NotImplementedError

    def has_tags(self, tags: list[str]) -> Expression:
        raise NotImplementedError

    def count_tags(self, matches: models.QuerySet, limit: int) -> tuple[Counter[str], int]:
        """How often each tag occurs in the first ``limit`` + 1 rows of ``matches``.

        Returns the counts and the number of rows read.
        """
        values = list(
            matches.annotate(_tags=self.tags_of()).values_list("_tags", flat=True)[: limit + 1]
        )
        # Tokens are counted as stored, and only the distinct ones decoded:
        # decoding every token of every row was most of the time.
        counts = Counter(self.tag_tokens(values))
        return Counter({self.token_tag(token): n for token, n in counts.items()}), len(values)

    def tag_tokens(self, values: list[Any]) -> Iterable[str]:
        """Every tag token of ``values`` (each row's stored tags), as stored."""
        return itertools.chain.from_iterable(value or () for value in values)

    @staticmethod
    def token_tag(token: str) -> str:
        """A stored tag token as its tag."""
        return token

    def split_tags(self, value: Any) -> list[str]:
        """One row's stored tags, as tags."""
        return [self.token_tag(token) for token in self.tag_tokens([value])]

    def word_exists(self, word: str, using: str) -> bool:
        """Whether a published resource's document contains ``word`` (one indexed lookup)."""
        from directory.models import Resource

        parsed = ParsedQuery(text=word, terms=(Term(alternatives=((word,),)),))
        return (
            _joined(Resource.objects.using(using).published()).filter(self.match(parsed)).exists()
        )


# The four indexed fields, as SQL over a resource row ``r``. Topic and
# audience names are gathered per resource; both engines concatenate with ||.
_NAME_SQL = "r.name || ' ' || r.alternate_name"
_TAXONOMY_SQL = (
    "coalesce((SELECT k.name FROM directory_taxonomyterm k WHERE k.id = r.kind_id), '')"
    " || ' ' || coalesce((SELECT {agg} FROM directory_resource_topics rt"
    " JOIN directory_taxonomyterm t ON t.id = rt.taxonomyterm_id WHERE rt.resource_id = r.id), '')"
    " || ' ' || coalesce((SELECT {agg} FROM directory_resource_audiences ra"
    " JOIN directory_taxonomyterm t ON t.id = ra.taxonomyterm_id WHERE ra.resource_id = r.id), '')"
)
# Resources that use a taxonomy term, for the rename trigger.
_USES_TERM_SQL = (
    "SELECT id FROM directory_resource WHERE kind_id = {term}"
    " UNION SELECT resource_id FROM directory_resource_topics WHERE taxonomyterm_id = {term}"
    " UNION SELECT resource_id FROM directory_resource_audiences WHERE taxonomyterm_id = {term}"
)
_TEXT_COLUMNS = ("name", "alternate_name", "summary", "description", "kind_id")
_BOOST_SQL = (
    f"(1.0 + {BROAD_AUDIENCE_BOOST} * (SELECT count(*) FROM directory_resource_audiences ba"
    " JOIN directory_taxonomyterm bt ON bt.id = ba.taxonomyterm_id"
    f" WHERE ba.resource_id = r.id AND bt.code = '{BROAD_AUDIENCE_CODE}'))"
)


# --- Filter tags ------------------------------------------------------------
#
# Every filterable attribute of a resource is also stored in its index row as
# a *tag* ("k:helpline", "c:text", "i:CA"), so that search and filters are one
# index lookup: the GIN index on PostgreSQL and FTS5 on SQLite intersect the
# postings of words and tags, instead of the database joining five tables
# per candidate row. ``facets`` counts the same tags. Tags are
# ``<prefix>:<value>`` with the prefixes below; the triggers keep them current.
TAG_PREFIXES = {
    "kind": "k",
    "topic": "t",
    "audience": "a",
    "urgency": "u",
    "channel": "c",
    "cost": "p",
    "language": "l",
    # Served in a state: an area of any scope there, or a location there.
    "state": "i",
    # Areas, for "near": nationwide; a whole state; a county or city of a
    # state ("CA:san francisco", see ``area_name_key``); a ZIP code.
    "national": "n",
    "state_area": "s",
    "county": "y",
    "city": "w",
    "zip": "z",
}
# Locations are also tagged with the cells of three grids (degrees per
# cell), so "near" finds candidates in the index: the finest grid whose
# cells cover the search circle's bounding box in at most MAX_NEAR_CELLS.
GRID_DEGREES = {1: 4.0, 2: 1.0, 3: 0.25}
MAX_NEAR_CELLS = 40


def area_name_key(name: str) -> str:
    """How a county or city name is tagged: "San Francisco County" → "san francisco"."""
    return name.strip().lower().removesuffix(" county")


def tag(group: str, value: Any) -> str:
    """The tag for ``value`` of a filter ``group`` (a key of ``TAG_PREFIXES``)."""
    return f"{TAG_PREFIXES[group]}:{value}"


def cell_tags(min_lat: float, max_lat: float, min_lon: float, max_lon: float) -> list[str]:
    """Tags of the grid cells that cover a bounding box, on the finest grid that can."""
    for level in sorted(GRID_DEGREES, reverse=True):
        size = GRID_DEGREES[level]
        lats = range(math.floor(min_lat / size), math.floor(max_lat / size) + 1)
        lons = range(math.floor(min_lon / size), math.floor(max_lon / size) + 1)
        if len(lats) * len(lons) <= MAX_NEAR_CELLS or level == min(GRID_DEGREES):
            return [f"g{level}:{a}:{o}" for a in lats for o in lons]
    return []


# ``area_name_key`` in SQL, for service area ``x`` (SQLite's lower() folds
# ASCII letters only, so names with capital non-ASCII letters would not
# match there).
_AREA_NAME_SQL = (
    "(CASE WHEN lower(trim(x.name)) LIKE '% county'"
    " THEN substr(lower(trim(x.name)), 1, length(trim(x.name)) - 7)"
    " ELSE lower(trim(x.name)) END)"
)


def _tag_sources(floor: str) -> list[tuple[str, str, str, str]]:
    """Where tags come from: (tag, FROM, condition, resource id) over a row ``x``.

    ``floor`` formats one argument into the engine's integer floor.
    """
    p = TAG_PREFIXES
    area, location = "directory_servicearea x", "directory_location x"
    term = "directory_taxonomyterm t ON t.id = x.taxonomyterm_id"
    sources = [
        (
            f"'{p['kind']}:' || t.code",
            "directory_resource x JOIN directory_taxonomyterm t ON t.id = x.kind_id",
            "",
            "x.id",
        ),
        (
            f"'{p['topic']}:' || t.code",
            f"directory_resource_topics x JOIN {term}",
            "",
            "x.resource_id",
        ),
        (
            f"'{p['audience']}:' || t.code",
            f"directory_resource_audiences x JOIN {term}",
            "",
            "x.resource_id",
        ),
        (f"'{p['urgency']}:' || x.urgency", "directory_resource x", "", "x.id"),
        (f"'{p['cost']}:' || x.cost", "directory_resource x", "x.cost <> ''", "x.id"),
        (f"'{p['channel']}:' || x.kind", "directory_contactchannel x", "", "x.resource_id"),
        (
            f"'{p['language']}:' || x.language_id",
            "directory_resource_languages x",
            "",
            "x.resource_id",
        ),
        (f"'{p['national']}:1'", area, "x.scope = 'national'", "x.resource_id"),
        (f"'{p['state_area']}:' || upper(x.state)", area, "x.scope = 'state'", "x.resource_id"),
        (
            f"'{p['county']}:' || upper(x.state) || ':' || {_AREA_NAME_SQL}",
            area,
            "x.scope = 'county'",
            "x.resource_id",
        ),
        (
            f"'{p['city']}:' || upper(x.state) || ':' || {_AREA_NAME_SQL}",
            area,
            "x.scope = 'city'",
            "x.resource_id",
        ),
        (f"'{p['zip']}:' || x.postal_code", area, "x.scope = 'zip'", "x.resource_id"),
        (f"'{p['state']}:' || upper(x.state)", area, "x.state <> ''", "x.resource_id"),
        (f"'{p['state']}:' || upper(x.state)", location, "x.state <> ''", "x.resource_id"),
    ]
    located = "x.latitude IS NOT NULL AND x.longitude IS NOT NULL"
    for level, size in GRID_DEGREES.items():
        cell = (
            f"'g{level}:' || {floor.format(f'x.latitude / {size}')} || ':' || "
            f"{floor.format(f'x.longitude / {size}')}"
        )
        sources.append((cell, location, located, "x.resource_id"))
    return sources


def _tags_sql(floor: str) -> str:
    """SQL yielding the tags of resource ``r``, one per row, no duplicates (both engines)."""
    return " UNION ".join(
        f"SELECT {tag} AS tag FROM {source} WHERE {rid} = r.id"
        + (f" AND {where}" if where else "")
        for tag, source, where, rid in _tag_sources(floor)
    )


def _all_tags_sql(floor: str) -> str:
    """SQL yielding (resource_id, tag) for every resource, duplicates possible (rebuilds)."""
    return " UNION ALL ".join(
        f"SELECT {rid} AS resource_id, {tag} AS tag FROM {source}"
        + (f" WHERE {where}" if where else "")
        for tag, source, where, rid in _tag_sources(floor)
    )


# Columns of a resource row that its index row depends on.
_INDEXED_COLUMNS = (*_TEXT_COLUMNS, "urgency", "cost", "status")
_PUBLISHED_SQL = "r.status = 'published'"
# Tables whose rows add tags to their resource (per-row triggers), and the
# many-to-many link tables (statement triggers, as for topics).
_CHILD_TABLES = ("directory_contactchannel", "directory_servicearea", "directory_location")
_LINK_TABLES = ("topics", "audiences", "languages")


class _PostgresEngine(_Engine):
    """A weighted ``tsvector`` per resource in ``directory_resource_search``, GIN-indexed.

    The ``ally_search`` text-search configuration is English with ``unaccent``
    in front of the stemmer. A trigger function refreshes the rows of the
    resources a statement touched; ``rebuild`` computes the same documents
    for every resource in one set-based statement.

    Why a table of its own: resource rows stay small for the many queries
    that never search, and the index can be rebuilt without rewriting
    resources. ``name_document`` (weight A only) has its own GIN index so
    that suggestions (names by prefix) never read the full documents.
    """

    vendor = "postgresql"
    config = "ally_search"
    # An array, not "IN (window)": PostgreSQL computes it once up front and
    # fetches those rows by key, instead of running the window's index
    # lookup a second time for the outer query and hashing one against the
    # other (whose row estimate then misleads the rest of the plan).
    window_template = "{table}.resource_id = ANY(ARRAY{window})"
    window_key = "{table}.resource_id"
    # The same for the distance window: as "IN (…)", the planner hashes the
    # few hundred keys and still reads every candidate to probe them.
    key_set_template = "{key} = ANY(ARRAY({keys}))"
    nearest_first = True
    nearest_tests_keys = True

    def nearest_sql(
        self, distances: tuple[str, list[Any]], matches: tuple[str, list[Any]], count: int
    ) -> tuple[str, list[Any]]:
        # The located resources in the radius, nearest first, are tested
        # one by one until ``count`` of them match; its distance is the cut.
        # ``OFFSET 0`` keeps the planner from turning the tests into a join
        # that reads every match.
        (distance_sql, distance_params), (match_sql, match_params) = distances, matches
        match = "EXISTS (SELECT 1 FROM {matches} c(pk) WHERE c.pk = {key} OFFSET 0)"
        cut = (
            f"(SELECT s.d FROM (SELECT * FROM {distance_sql} g2(resource_id, d) ORDER BY g2.d"
            f" OFFSET 0) s WHERE {match.format(matches=match_sql, key='s.resource_id')}"
            f" LIMIT 1 OFFSET {count - 1})"
        )
        sql = (
            f"(SELECT g.resource_id FROM {distance_sql} g(resource_id, d)"
            f" WHERE g.d <= COALESCE({cut}, 'Infinity'::float8)"
            f" AND {match.format(matches=match_sql, key='g.resource_id')})"
        )
        return sql, [*distance_params, *distance_params, *match_params, *match_params]

    window_key_field = models.UUIDField
    # Unordered: the window is the first matches the GIN bitmap scan yields,
    # in physical order, which is stable for a given table state. Asking
    # for key order instead makes the planner walk the primary key and test
    # every document, hundreds of milliseconds for a common word.
    window_ordered = False
    # The window's matches are ranked where they are read (index rows
    # alone), and only the page's best are joined to their resources.
    ranks_window = True
    # A GIN scan builds its whole bitmap of candidates before yielding the
    # first: the window and the total, each a scan of its own, built it
    # twice (27 of 37 ms each for two words in 13% of a million listings).
    # The first window rows are the scan's first, numbered in the order it
    # yields them, as the window's own LIMIT takes them.
    window_count_template = (
        'SELECT least(count(*), {limit}), array_agg(s."_key" ORDER BY s."_rank" DESC, s."_key")'
        ' FILTER (WHERE s."_n" <= {window}) FROM (SELECT t."_key", t."_rank",'
        ' row_number() OVER () AS "_n" FROM ({sql}) t) s'
    )
    known_window_template = "{table}.resource_id = ANY(%s::uuid[])"

    # (name, definition) of the index table's indexes; a rebuild drops and
    # recreates them around its bulk insert.
    INDEXES = [
        # Words and tags in one GIN index: a search with filters ("crisis",
        # CA, text) is then one index scan that skips through the rarest
        # posting lists, where two single-column indexes each built a
        # bitmap of every match (tens of thousands of rows at a million
        # listings) only to intersect them: 44 ms → 13 ms for its count.
        # Words alone or tags alone are answered by it as well.
        (f"{SEARCH_TABLE}_document_tags", "USING gin (document, tags)"),
        (f"{SEARCH_TABLE}_name", "USING gin (name_document)"),
        # Covering: walking names in order tests each row's tags and
        # status from the index alone (once VACUUM has marked the pages).
        (f"{SEARCH_TABLE}_sort", "(sort_name, resource_id) INCLUDE (published, tags)"),
    ]

    def _all_tags_select(self) -> str:
        # Every resource's tags in one grouped pass, far cheaper for a
        # rebuild than looking them up resource by resource.
        tags = _all_tags_sql("floor({})::int")
        return (
            "SELECT resource_id, array_agg(DISTINCT tag ORDER BY tag) AS tags"
            f" FROM ({tags}) s GROUP BY resource_id"
        )

    def _tags_select(self) -> str:
        tags = _tags_sql("floor({})::int")
        return f"SELECT coalesce(array_agg(x.tag ORDER BY x.tag), '{{}}') AS tags FROM ({tags}) x"

    def _document_sql(self) -> str:
        agg = "string_agg(t.name, ' ')"
        taxonomy = _TAXONOMY_SQL.format(agg=agg)
        c = self.config
        return (
            f"setweight(to_tsvector('{c}', {_NAME_SQL}), 'A')"
            f" || setweight(to_tsvector('{c}', r.summary || ' ' || {taxonomy}), 'B')"
            f" || setweight(to_tsvector('{c}', r.description), 'C')"
        )

    def install(self, connection: Any) -> None:
        c = self.config
        refresh = (
            f"INSERT INTO {SEARCH_TABLE}"
            " (resource_id, document, name_document, boost, tags, published, sort_name)"
            f" SELECT r.id, {self._document_sql()},"
            f" to_tsvector('{c}', {_NAME_SQL}), {_BOOST_SQL}, tg.tags, {_PUBLISHED_SQL}, r.name"
            f" FROM directory_resource r CROSS JOIN LATERAL ({self._tags_select()}) tg"
            " WHERE r.id = ANY(ids)"
            " ON CONFLICT (resource_id) DO UPDATE SET document = EXCLUDED.document,"
            " name_document = EXCLUDED.name_document, boost = EXCLUDED.boost,"
            " tags = EXCLUDED.tags, published = EXCLUDED.published,"
            " sort_name = EXCLUDED.sort_name"
        )
        statements = [
            "CREATE EXTENSION IF NOT EXISTS unaccent",
            f"""DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{c}') THEN
                    CREATE TEXT SEARCH CONFIGURATION {c} (COPY = english);
                    ALTER TEXT SEARCH CONFIGURATION {c}
                        ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
                END IF;
            END $$""",
            # No foreign key: a TRUNCATE of resources (test flushes) must not
            # need to know about this table; rows of deleted resources are
            # removed by the delete trigger and never match an inner join.
            f"""CREATE TABLE IF NOT EXISTS {SEARCH_TABLE} (
                resource_id uuid PRIMARY KEY,
                document tsvector NOT NULL,
                name_document tsvector NOT NULL,
                boost real NOT NULL DEFAULT 1,
                tags text[],
                published boolean,
                sort_name varchar(200)
            )""",
            # Tables created by an earlier version gain the newer columns.
            f"ALTER TABLE {SEARCH_TABLE} ADD COLUMN IF NOT EXISTS boost real NOT NULL DEFAULT 1",
            f"ALTER TABLE {SEARCH_TABLE} ADD COLUMN IF NOT EXISTS tags text[]",
            f"ALTER TABLE {SEARCH_TABLE} ADD COLUMN IF NOT EXISTS published boolean",
            f"ALTER TABLE {SEARCH_TABLE} ADD COLUMN IF NOT EXISTS sort_name varchar(200)",
            # Replaced by the words-and-tags index (see INDEXES).
            f"DROP INDEX IF EXISTS {SEARCH_TABLE}_document",
            f"DROP INDEX IF EXISTS {SEARCH_TABLE}_tags",
            *(
                f"CREATE INDEX IF NOT EXISTS {name} ON {SEARCH_TABLE} {how}"
                for name, how in self.INDEXES
            ),
            f"""CREATE OR REPLACE FUNCTION {SEARCH_TABLE}_refresh(ids uuid[]) RETURNS void
                LANGUAGE sql AS $$ {refresh} $$""",
            f"""CREATE OR REPLACE FUNCTION {SEARCH_TABLE}_on_resource() RETURNS trigger
                LANGUAGE plpgsql AS $$ BEGIN
                    IF TG_OP = 'DELETE' THEN
                        DELETE FROM {SEARCH_TABLE} WHERE resource_id = OLD.id;
                        RETURN OLD;
                    END IF;
                    PERFORM {SEARCH_TABLE}_refresh(ARRAY[NEW.id]);
                    RETURN NEW;
                END $$""",
            f"""CREATE OR REPLACE FUNCTION {SEARCH_TABLE}_on_link() RETURNS trigger
                LANGUAGE plpgsql AS $$ BEGIN
                    IF TG_OP = 'INSERT' THEN
                        PERFORM {SEARCH_TABLE}_refresh(
                            ARRAY(SELECT DISTINCT resource_id FROM changed_links));
                    ELSE
                        PERFORM {SEARCH_TABLE}_refresh(
                            ARRAY(SELECT DISTINCT resource_id FROM removed_links));
                    END IF;
                    RETURN NULL;
                END $$""",
            f"""CREATE OR REPLACE FUNCTION {SEARCH_TABLE}_on_child() RETURNS trigger
                LANGUAGE plpgsql AS $$ BEGIN
                    IF TG_OP <> 'INSERT' THEN
                        PERFORM {SEARCH_TABLE}_refresh(ARRAY[OLD.resource_id]);
                    END IF;
                    IF TG_OP <> 'DELETE' THEN
                        PERFORM {SEARCH_TABLE}_refresh(ARRAY[NEW.resource_id]);
                    END IF;
                    RETURN NULL;
                END $$""",
            f"""CREATE OR REPLACE FUNCTION {SEARCH_TABLE}_on_term() RETURNS trigger
                LANGUAGE plpgsql AS $$ BEGIN
                    PERFORM {SEARCH_TABLE}_refresh(
                        ARRAY({_USES_TERM_SQL.format(term="NEW.id")}));
                    RETURN NULL;
                END $$""",
        ]
        statements += self._trigger_statements()
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def _trigger_statements(self) -> list[str]:
        changed = " OR ".join(f"OLD.{col} IS DISTINCT FROM NEW.{col}" for col in _INDEXED_COLUMNS)
        statements = [
            *self._drop_statements(),
            f"""CREATE TRIGGER {SEARCH_TABLE}_resource_insert AFTER INSERT ON directory_resource
                FOR EACH ROW EXECUTE FUNCTION {SEARCH_TABLE}_on_resource()""",
            f"""CREATE TRIGGER {SEARCH_TABLE}_resource_update AFTER UPDATE ON directory_resource
                FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {SEARCH_TABLE}_on_resource()""",
            f"""CREATE TRIGGER {SEARCH_TABLE}_resource_delete AFTER DELETE ON directory_resource
                FOR EACH ROW EXECUTE FUNCTION {SEARCH_TABLE}_on_resource()""",
            f"""CREATE TRIGGER {SEARCH_TABLE}_term_rename AFTER UPDATE ON directory_taxonomyterm
                FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name
                    OR OLD.code IS DISTINCT FROM NEW.code)
                EXECUTE FUNCTION {SEARCH_TABLE}_on_term()""",
        ]
        for table in _CHILD_TABLES:
            statements.append(
                f"""CREATE TRIGGER {SEARCH_TABLE}_{table.removeprefix("directory_")}
                    AFTER INSERT OR UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION {SEARCH_TABLE}_on_child()"""
            )
        for link in _LINK_TABLES:
            table = f"directory_resource_{link}"
            statements += [
                f"""CREATE TRIGGER {SEARCH_TABLE}_{link}_insert AFTER INSERT ON {table}
                    REFERENCING NEW TABLE AS changed_links FOR EACH STATEMENT
                    EXECUTE FUNCTION {SEARCH_TABLE}_on_link()""",
                f"""CREATE TRIGGER {SEARCH_TABLE}_{link}_delete AFTER DELETE ON {table}
                    REFERENCING OLD TABLE AS removed_links FOR EACH STATEMENT
                    EXECUTE FUNCTION {SEARCH_TABLE}_on_link()""",
            ]
        return statements

    def _drop_statements(self) -> list[str]:
        triggers = [
            ("resource_insert", "directory_resource"),
            ("resource_update", "directory_resource"),
            ("resource_delete", "directory_resource"),
            ("term_rename", "directory_taxonomyterm"),
            ("topics_insert", "directory_resource_topics"),
            ("topics_delete", "directory_resource_topics"),
            ("audiences_insert", "directory_resource_audiences"),
            ("audiences_delete", "directory_resource_audiences"),
            ("languages_insert", "directory_resource_languages"),
            ("languages_delete", "directory_resource_languages"),
            *((t.removeprefix("directory_"), t) for t in _CHILD_TABLES),
        ]
        return [f"DROP TRIGGER IF EXISTS {SEARCH_TABLE}_{name} ON {t}" for name, t in triggers]

    def drop_triggers(self, connection: Any) -> None:
        with connection.cursor() as cursor:
            for statement in self._drop_statements():
                cursor.execute(statement)

    def estimate_count(self, queryset: models.QuerySet) -> int | None:
        sql, params = queryset.values("pk").query.sql_with_params()
        return self.estimate_rows(connections[queryset.db], sql, params)

    # A MATERIALIZED CTE is planned for all its rows but read lazily, so the
    # count still stops at the limit. Under a plain LIMIT the planner prefers
    # plans that start fast, and for "near" it walked the covering name index
    # testing each entry's tags against the area and grid-cell tags (an
    # array overlap it costs as one cheap operator, but that takes ~5 us a
    # row): 53 ms at 100k resources, against 6 ms through the GIN index. Not
    # for every count: where the row test is cheap, starting fast is right
    # (a typo's 131,000 matches at 1M: 9 ms by a scan that stops at the
    # limit, 27 ms through a bitmap of every match).
    fully_planned_count_template = (
        "WITH matches AS MATERIALIZED ({sql})"
        " SELECT count(*) FROM (SELECT 1 FROM matches LIMIT {limit}) counted"
    )

    estimates = True

    def estimate_rows(self, connection: Any, sql: str, params: Any) -> int | None:
        import json

        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return int(plan[0]["Plan"]["Plan Rows"])

    def bulk_insert(self, connection: Any, table: str, columns: list[str], rows: list) -> None:
        # COPY is several times faster than INSERT for bulk loads.
        quote = connection.ops.quote_name
        sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    def rebuild(self, connection: Any) -> None:
        # The same documents as the trigger function computes, but with the
        # topic and audience names aggregated once for all resources rather
        # than looked up per row, and the GIN indexes built after the load
        # (far faster than maintaining them row by row).
        c = self.config

        def names(link: str) -> str:
            return (
                f"SELECT l.resource_id, string_agg(t.name, ' ') AS names,"
                f" bool_or(t.code = '{BROAD_AUDIENCE_CODE}') AS broad"
                f" FROM directory_resource_{link} l JOIN directory_taxonomyterm t"
                " ON t.id = l.taxonomyterm_id GROUP BY l.resource_id"
            )

        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(f"TRUNCATE {SEARCH_TABLE}")
            for name, _ in self.INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            cursor.execute(
                f"INSERT INTO {SEARCH_TABLE}"
                " (resource_id, document, name_document, boost, tags, published, sort_name)"
                " SELECT r.id, setweight(n.v, 'A')"
                f" || setweight(to_tsvector('{c}', r.summary || ' ' || coalesce(k.name, '')"
                " || ' ' || coalesce(tp.names, '') || ' ' || coalesce(au.names, '')), 'B')"
                f" || setweight(to_tsvector('{c}', r.description), 'C'), n.v,"
                f" CASE WHEN au.broad THEN {1 + BROAD_AUDIENCE_BOOST} ELSE 1 END,"
                " coalesce(tg.tags, '{}'),"
                f" {_PUBLISHED_SQL}, r.name"
                " FROM directory_resource r"
                f" CROSS JOIN LATERAL (SELECT to_tsvector('{c}', {_NAME_SQL}) AS v) n"
                f" LEFT JOIN ({self._all_tags_select()}) tg ON tg.resource_id = r.id"
                " LEFT JOIN directory_taxonomyterm k ON k.id = r.kind_id"
                f" LEFT JOIN ({names('topics')}) tp ON tp.resource_id = r.id"
                f" LEFT JOIN ({names('audiences')}) au ON au.resource_id = r.id"
            )
            for name, how in self.INDEXES:
                cursor.execute(f"CREATE INDEX {name} ON {SEARCH_TABLE} {how}")
            cursor.execute(f"ANALYZE {SEARCH_TABLE}")

    def _tsquery(self, parsed: ParsedQuery) -> str:
        # Words are letters and digits only (see ``tokenize``), so the text
        # below cannot carry tsquery operators from the user: it is built
        # here, and to_tsquery only stems and unaccents it.
        groups = []
        for term in parsed.terms:
            options = [" <-> ".join(alt) for alt in term.alternatives]
            if term.prefix:
                options.append(f"{term.alternatives[0][0]}:*")
            groups.append("(" + " | ".join(f"({o})" for o in options) + ")")
        return " & ".join(groups)

    def _any_word_tsquery(self, parsed: ParsedQuery) -> str:
        return self._tsquery(parsed).replace(") & (", ") | (")

    def _query_sql(self) -> str:
        return f"to_tsquery('{self.config}'::regconfig, %s)"

    def match(self, parsed: ParsedQuery) -> Expression:
        return _SearchSQL(
            "{table}.document @@ " + self._query_sql(),
            [self._tsquery(parsed)],
            models.BooleanField(),
        )

    def rank(self, parsed: ParsedQuery) -> Expression:
        return _SearchSQL(
            "(CASE WHEN {table}.name_document @@ "
            + self._query_sql()
            + f" THEN {NAME_MATCH_TIER} ELSE 0 END) + ts_rank({{table}}.document, "
            + self._query_sql()
            + ") * {table}.boost",
            [self._any_word_tsquery(parsed), self._tsquery(parsed)],
            FloatField(),
        )

    def match_tags(self, tags: Iterable[str]) -> Expression:
        # The array overlap is answered by the GIN index on tags; the
        # planner combines it with the document's (BitmapAnd) and knows
        # from the column's statistics how common each tag is.
        return self.has_tags(list(tags))

    def tags_of(self) -> Expression:
        return _SearchSQL("{table}.tags", [], models.Field())

    def index_key(self) -> Expression:
        return _SearchSQL("{table}.resource_id", [], models.UUIDField())

    # Both off: without the join's test, or on the index alone, the planner
    # counts "near" candidates by walking the covering name index and
    # testing each entry's tags (35-42 ms at 100k resources) instead of
    # using the GIN index and a join (5 ms). The test is free on a NOT NULL
    # column.
    drops_join_test = False
    key_tests_alone = False

    def index_name_order(self) -> list[Any]:
        return self.name_order()

    def has_tags(self, tags: list[str]) -> Expression:
        return _TagTest("{table}.tags && %s::text[]", [tags], tags)

    knows_published = True

    def published(self) -> Expression:
        return _SearchSQL("{table}.published", [], models.BooleanField())

    def name_order(self) -> list[Any]:
        # The index row's copy of the name and its key: the planner can sort
        # the matching index rows (or walk their btree) and join only the
        # page's resources, instead of joining every match first.
        return [
            _SearchSQL("{table}.sort_name", [], models.CharField()).asc(),
            _SearchSQL("{table}.resource_id", [], models.UUIDField()).asc(),
        ]

    def resource_key(self, alias: str) -> Any:
        from django.db.models.expressions import Col

        from directory.models import ResourceSearchDocument

        # A column reference (not _SearchSQL), so that it stays right when
        # a correlated subquery refers to it with OuterRef.
        return Col(alias, ResourceSearchDocument._meta.pk, output_field=models.UUIDField())

    def count_tags(self, matches: models.QuerySet, limit: int) -> tuple[Counter[str], int]:
        # Counted in the database: only one row per tag comes back.
        from django.core.exceptions import EmptyResultSet

        rows = matches.annotate(_tags=self.tags_of()).values("_tags")[: limit + 1]
        try:
            sql, params = rows.query.sql_with_params()
        except EmptyResultSet:  # a search that cannot match anything
            return Counter(), 0
        with connections[matches.db].cursor() as cursor:
            # Each row adds a NULL to its tags, so the NULL group counts the
            # rows in the same pass: reading them twice from a materialized
            # CTE spilled it to disk and cost a fifth more. unnest() in the
            # select list (a ProjectSet) rather than joined laterally (a
            # function scan per row): 68 → 53 ms for 12,000 matches.
            cursor.execute(
                "SELECT t.tag, count(*) FROM"
                f" (SELECT unnest(array_append(m._tags, NULL)) AS tag FROM ({sql}) m) t"
                " GROUP BY t.tag",
                params,
            )
            found = cursor.fetchall()
        counts = Counter({tag: n for tag, n in found if tag is not None})
        return counts, next((n for tag, n in found if tag is None), 0)

    def is_stale(self, connection: Any) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {SEARCH_TABLE}"
                " WHERE tags IS NULL OR published IS NULL OR sort_name IS NULL)"
            )
            return cursor.fetchone()[0]

    def prefix_name_match(self, words: list[str]) -> Expression:
        query = " & ".join(f"{w}:*" for w in words)
        return _SearchSQL(
            "{table}.name_document @@ " + self._query_sql(), [query], models.BooleanField()
        )


class _SQLiteEngine(_Engine):
    """An FTS5 table ``directory_resource_search`` with the four weighted fields.

    Tokenizer: Porter stemming over unicode61 with diacritics removed, and
    prefix indexes for two and three characters (search-as-you-type). Its
    rowids are assigned through ``directory_resource_search_rowid`` because
    the resource table's own rowid is not stable (VACUUM may renumber it).
    Triggers refresh the row of each resource a statement touches. Django
    rebuilds SQLite tables in some migrations, dropping their triggers, so
    ``install`` runs after every ``migrate`` and puts them back.
    """

    vendor = "sqlite"
    # The window is the first matches in rowid order, so it is exactly the
    # matches up to its last rowid: FTS5 takes that bound as a rowid range
    # and stops reading the word's postings there, where an IN list would
    # have it read every match of a common word (or re-run the query per
    # rowid).
    window_template = "{table}.rowid <= (SELECT max(w._key) FROM {window} w)"
    window_key = "{table}.rowid"
    window_key_field = models.IntegerField
    # FTS5 yields matches in rowid order anyway, so ordering is free.
    window_ordered = True
    # Column weights for bm25: resource_id and boost (unindexed), name,
    # summary, taxonomy, description.
    weights = "0.0, 0.0, 10.0, 4.0, 4.0, 1.0, 0.0"
    # Words of a query are matched in these columns only, never in the tags.
    text_columns = "{name summary taxonomy description}"
    # Beside each rowid, the resource's key and name: reading them there is
    # several times cheaper than through FTS5 or the resource table, for
    # queries that key or order thousands of index rows (``index_key``,
    # ``index_name_order``).
    rowids = f"{SEARCH_TABLE}_rowid"
    # (drops_join_test: SQLite runs that test before a subquery's, so on
    # every candidate, and FTS5 reads the stored key for it through its
    # content table; the distance window's key test rules most rows out.)
    # The distance window's keys, tested on the index row's rowid before its
    # stored columns are read (reading resource_id to join the resource
    # costs microseconds a row; thousands of "near" candidates add up). The
    # unary plus keeps SQLite from handing the IN list to FTS5, which would
    # re-run the MATCH once per key.
    key_set_template = (
        f"+{{table}}.rowid IN (SELECT m.id FROM {rowids} m WHERE m.resource_id IN ({{keys}}))"
    )

    def _refresh_sql(self, condition: str) -> list[str]:
        taxonomy = _TAXONOMY_SQL.format(agg="group_concat(t.name, ' ')")
        return [
            f"INSERT OR IGNORE INTO {self.rowids} (resource_id)"
            f" SELECT r.id FROM directory_resource r WHERE r.id IN ({condition})",
            f"UPDATE {self.rowids} SET name = (SELECT r.name FROM directory_resource r"
            f" WHERE r.id = {self.rowids}.resource_id) WHERE resource_id IN ({condition})",
            f"DELETE FROM {SEARCH_TABLE} WHERE rowid IN (SELECT id FROM {self.rowids}"
            f" WHERE resource_id IN ({condition}))",
            f"INSERT INTO {SEARCH_TABLE} (rowid, resource_id, boost, name, summary, taxonomy,"
            f" description, tags) SELECT m.id, r.id, {_BOOST_SQL}, {_NAME_SQL}, r.summary,"
            f" {taxonomy}, r.description, ({self._tags_select()})"
            f" FROM directory_resource r JOIN {self.rowids} m"
            f" ON m.resource_id = r.id WHERE r.id IN ({condition})",
        ]

    columns = ["resource_id", "boost", "name", "summary", "taxonomy", "description", "tags"]

    @staticmethod
    def tag_token(tag: str) -> str:
        """A tag as one FTS5 token: its UTF-8 bytes in hex between "zz" and "x".

        The unicode61 tokenizer would split "c:text" at the colon; hex keeps
        it one token, and the "x" at the end keeps the Porter stemmer from
        trimming a final "e" or "ed" of the hex digits.
        """
        return "zz" + tag.encode().hex() + "x"

    @staticmethod
    def token_tag(token: str) -> str:
        return bytes.fromhex(token[2:-1]).decode()

    # Index rows also say whether their resource is published, as a tag no
    # filter offers (PostgreSQL keeps a column), so that counts and rank
    # windows can run on the FTS5 table alone (``_on_index_alone``) instead
    # of reading each match's stored row to join its resource. Rows of
    # drafts and archived resources carry the opposite tag: "these matches
    # NOT unpublished" reads that tag's short list, where "AND published"
    # reads a list as long as the directory (2–3 ms at 100k listings).
    published_tag = "v:published"
    unpublished_tag = "v:unpublished"
    knows_published = True

    def _tags_select(self) -> str:
        floor = "(CAST(({0}) AS INTEGER) - (({0}) < CAST(({0}) AS INTEGER)))"
        status = (
            f"SELECT CASE WHEN {_PUBLISHED_SQL} THEN '{self.published_tag}'"
            f" ELSE '{self.unpublished_tag}' END AS tag"
        )
        tags = f"{_tags_sql(floor)} UNION {status}"
        return f"SELECT group_concat('zz' || lower(hex(x.tag)) || 'x', ' ') FROM ({tags}) x"

    def published(self) -> Expression:
        return self.match_tags([self.published_tag])

    def published_conditions(self, conditions: list[Any]) -> list[Any]:
        # FTS5's NOT needs a query on its left: the first plain MATCH of
        # the conditions (at the top, so ANDed with the rest) takes it.
        from django.db.models.lookups import Exact

        for i, condition in enumerate(conditions):
            lhs = getattr(condition, "lhs", None)
            if (
                isinstance(condition, Exact)
                and condition.rhs is True
                and isinstance(lhs, _SearchSQL)
                and lhs.template == self.match_template
            ):
                # (No longer a _TagTest: it asks for more than its tags.)
                query = f"({lhs.params[0]}) NOT tags : {self.tag_token(self.unpublished_tag)}"
                restated = _SearchSQL(lhs.template, [query], models.BooleanField())
                return [*conditions[:i], Exact(restated, True), *conditions[i + 1 :]]
        return super().published_conditions(conditions)

    def is_stale(self, connection: Any) -> bool:
        # An index made before rows carried their status tag, or before
        # the rowid table kept names: one resource of each status tells (a
        # rebuild fills them all in).
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {_PUBLISHED_SQL}, s.tags, m.name = r.name FROM directory_resource r"
                f" JOIN {self.rowids} m ON m.resource_id = r.id"
                f" JOIN {SEARCH_TABLE} s ON s.rowid = m.id"
                f" WHERE r.id IN (SELECT min(r.id) FROM directory_resource r"
                f" GROUP BY {_PUBLISHED_SQL})"
            )
            rows = cursor.fetchall()
        for published, tags, named in rows:
            status = self.published_tag if published else self.unpublished_tag
            if self.tag_token(status) not in (tags or "").split() or not named:
                return True
        return False

    def install(self, connection: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA table_info({SEARCH_TABLE})")
            existing = [row[1] for row in cursor.fetchall()]
            if existing and existing != self.columns:
                # FTS5 tables cannot be altered; an older layout is replaced
                # (install_index then sees it empty and rebuilds it).
                cursor.execute(f"DROP TABLE {SEARCH_TABLE}")
        statements = [
            f"""CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5(
                resource_id UNINDEXED, boost UNINDEXED, name, summary, taxonomy, description, tags,
                tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')""",
            f"""CREATE TABLE IF NOT EXISTS {self.rowids} (
                id integer PRIMARY KEY, resource_id char(32) NOT NULL UNIQUE,
                name varchar(200) NOT NULL DEFAULT '')""",
        ]
        # (After the ALTER TABLE below for tables without names.)
        name_index = (
            f"CREATE INDEX IF NOT EXISTS {self.rowids}_name ON {self.rowids} (name, resource_id)"
        )
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            cursor.execute(f"PRAGMA table_info({self.rowids})")
            if "name" not in [row[1] for row in cursor.fetchall()]:
                # Made by an earlier version; is_stale then asks for a rebuild.
                cursor.execute(
                    f"ALTER TABLE {self.rowids} ADD COLUMN name varchar(200) NOT NULL DEFAULT ''"
                )
            cursor.execute(name_index)
        # Triggers are replaced, not kept: a database made by an earlier
        # version must get the current definitions (which columns and
        # tables refresh the index).
        self.drop_triggers(connection)
        with connection.cursor() as cursor:
            for statement in self._trigger_statements():
                cursor.execute(statement)

    def _trigger_statements(self) -> list[str]:
        def trigger(name: str, event: str, condition: str, body: list[str] | None = None) -> str:
            body = body if body is not None else self._refresh_sql(condition)
            return (
                f"CREATE TRIGGER IF NOT EXISTS {SEARCH_TABLE}_{name} {event} BEGIN "
                + "; ".join(body)
                + "; END"
            )

        changed = " OR ".join(f"OLD.{col} IS NOT NEW.{col}" for col in _INDEXED_COLUMNS)
        statements = [
            trigger("resource_insert", "AFTER INSERT ON directory_resource", "NEW.id"),
            trigger(
                "resource_update",
                f"AFTER UPDATE ON directory_resource FOR EACH ROW WHEN {changed}",
                "NEW.id",
            ),
            trigger(
                "resource_delete",
                "AFTER DELETE ON directory_resource",
                "",
                [
                    f"DELETE FROM {SEARCH_TABLE} WHERE rowid IN (SELECT id FROM {self.rowids}"
                    " WHERE resource_id = OLD.id)",
                    f"DELETE FROM {self.rowids} WHERE resource_id = OLD.id",
                ],
            ),
            trigger(
                "term_rename",
                "AFTER UPDATE OF name, code ON directory_taxonomyterm FOR EACH ROW"
                " WHEN OLD.name IS NOT NEW.name OR OLD.code IS NOT NEW.code",
                _USES_TERM_SQL.format(term="NEW.id"),
            ),
        ]
        for table in _CHILD_TABLES:
            name = table.removeprefix("directory_")
            statements += [
                trigger(f"{name}_insert", f"AFTER INSERT ON {table}", "NEW.resource_id"),
                trigger(
                    f"{name}_update",
                    f"AFTER UPDATE ON {table}",
                    "",
                    [
                        *self._refresh_sql("OLD.resource_id"),
                        *self._refresh_sql("NEW.resource_id"),
                    ],
                ),
                trigger(f"{name}_delete", f"AFTER DELETE ON {table}", "OLD.resource_id"),
            ]
        for link in _LINK_TABLES:
            table = f"directory_resource_{link}"
            statements += [
                trigger(f"{link}_insert", f"AFTER INSERT ON {table}", "NEW.resource_id"),
                trigger(f"{link}_delete", f"AFTER DELETE ON {table}", "OLD.resource_id"),
            ]
        return statements

    def drop_triggers(self, connection: Any) -> None:
        names = [
            "resource_insert",
            "resource_update",
            "resource_delete",
            "term_rename",
            "topics_insert",
            "topics_delete",
            "audiences_insert",
            "audiences_delete",
            "languages_insert",
            "languages_delete",
            *(
                f"{t.removeprefix('directory_')}_{event}"
                for t in _CHILD_TABLES
                for event in ("insert", "update", "delete")
            ),
        ]
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f"DROP TRIGGER IF EXISTS {SEARCH_TABLE}_{name}")

    def rebuild(self, connection: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {SEARCH_TABLE}")
            cursor.execute(f"DELETE FROM {self.rowids}")
            for statement in self._refresh_sql("SELECT id FROM directory_resource"):
                cursor.execute(statement)
            cursor.execute(f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('optimize')")

    def _fts_query(self, parsed: ParsedQuery) -> str:
        # Every word is quoted, and words hold letters and digits only, so
        # nothing the user typed can act as an FTS5 operator.
        groups = []
        for term in parsed.terms:
            options = ['"' + " ".join(alt) + '"' for alt in term.alternatives]
            if term.prefix:
                options.append(f'"{term.alternatives[0][0]}"*')
            groups.append("(" + " OR ".join(options) + ")")
        return " AND ".join(groups)

    match_template = "{table}." + SEARCH_TABLE + " MATCH %s"

    def match(self, parsed: ParsedQuery) -> Expression:
        return _SearchSQL(
            self.match_template,
            [f"{self.text_columns} : ({self._fts_query(parsed)})"],
            models.BooleanField(),
        )

    def _tags_query(self, tags: Iterable[str]) -> str:
        tokens = " OR ".join(self.tag_token(t) for t in tags) or self.tag_token("")
        return f"tags : ({tokens})"

    def match_tags(self, tags: Iterable[str]) -> Expression:
        tags = list(tags)
        return _TagTest(self.match_template, [self._tags_query(tags)], tags)

    def tags_of(self) -> Expression:
        return _SearchSQL("{table}.tags", [], models.TextField())

    def has_tags(self, tags: list[str]) -> Expression:
        # The rowids that the index gives for the tags, gathered once, and
        # each row's rowid looked up in them: reading a row's stored tags
        # instead costs microseconds a row. The unary plus keeps SQLite
        # from handing the list to FTS5 as rowid constraints.
        table = SEARCH_TABLE
        return _TagTest(
            f"+{{table}}.rowid IN (SELECT rowid FROM {table} WHERE {table} MATCH %s)",
            [self._tags_query(tags)],
            tags,
        )

    def _from_rowids(self, column: str, field: models.Field) -> Expression:
        # FTS5 reads a stored column through its content table, several
        # times slower than this lookup by primary key.
        return _SearchSQL(
            f"(SELECT m.{column} FROM {self.rowids} m WHERE m.id = {{table}}.rowid)", [], field
        )

    def index_key(self) -> Expression:
        return self._from_rowids("resource_id", models.UUIDField())

    nearest_first = True
    nearby_match_column = "{table}.rowid"

    def nearest_sql(
        self, distances: tuple[str, list[Any]], matches: tuple[str, list[Any]], count: int
    ) -> tuple[str, list[Any]]:
        # Each nearby resource's index rowid looked up in the matches'
        # rowids, gathered once (FTS5 gives them without reading a stored
        # row); then the nearest ``count`` of those that match, ties kept.
        # "9e999" is SQLite's infinity.
        (distance_sql, distance_params), (match_sql, match_params) = distances, matches
        sql = (
            f"(SELECT * FROM (WITH n AS MATERIALIZED (SELECT g.resource_id, g._distance AS d"
            f" FROM {distance_sql} g WHERE EXISTS (SELECT 1 FROM {self.rowids} m"
            f" WHERE m.resource_id = g.resource_id AND m.id IN {match_sql}))"
            f" SELECT n.resource_id FROM n WHERE n.d <= COALESCE((SELECT n2.d FROM n n2"
            f" ORDER BY n2.d LIMIT 1 OFFSET {count - 1}), 9e999)))"
        )
        return sql, [*distance_params, *match_params]

    walks_names = True
    # Index entries a walk reads at most before it falls back to sorting.
    NAME_WALK = 10_000

    def first_by_name(self, candidates: str, limit: int) -> str:
        # Sorting every candidate by name is most of a "near me" page: the
        # listings that serve a place by area (nationwide, state-wide…) are
        # thousands. Walking the rowid table's name index instead and
        # keeping candidates stops after a few hundred entries when they
        # are common. When they are rare (a search with "near"), the walk
        # stops at NAME_WALK entries, and the few candidates are sorted
        # (which then gives all the first ones, walked or not). The test
        # sits in the sorted query's WHERE clause, which SQLite checks once
        # before reading any row: after a walk that found enough, nothing
        # is sorted.
        m = self.rowids
        return (
            f"(WITH c(id) AS MATERIALIZED (SELECT * FROM {candidates} c0),"
            f" walk(k) AS MATERIALIZED (SELECT w.resource_id FROM (SELECT id, resource_id"
            f" FROM {m} ORDER BY name, resource_id LIMIT {self.NAME_WALK}) w"
            f" WHERE w.id IN c LIMIT {limit})"
            f" SELECT k FROM walk UNION ALL SELECT * FROM (SELECT m.resource_id FROM c"
            f" JOIN {m} m ON m.id = c.id WHERE (SELECT count(*) FROM walk) < {limit}"
            f" ORDER BY m.name, m.resource_id LIMIT {limit}))"
        )

    def index_name_order(self) -> list[Any]:
        # The same order as name_order on the resource table: name, then key.
        return [
            self._from_rowids("name", models.CharField()).asc(),
            self.index_key().asc(),
        ]

    def tag_tokens(self, values: list[Any]) -> Iterable[str]:
        # One split of all rows' tags together (in C) rather than one per row.
        return " ".join(value or "" for value in values).split()

    def rank(self, parsed: ParsedQuery) -> Expression:
        # bm25 is lower for better matches; negated so both engines sort descending.
        # bm25 with weight on the name only is below zero when the name has a hit.
        t = f"{{table}}.{SEARCH_TABLE}"
        return _SearchSQL(
            f"(CASE WHEN bm25({t}, 0, 0, 1, 0, 0, 0, 0) < 0 THEN {NAME_MATCH_TIER} ELSE 0 END)"
            f" - bm25({t}, {self.weights}) * {{table}}.boost",
            [],
            FloatField(),
        )

    def prefix_name_match(self, words: list[str]) -> Expression:
        query = "name : (" + " AND ".join(f'"{w}"*' for w in words) + ")"
        return _SearchSQL("{table}." + SEARCH_TABLE + " MATCH %s", [query], models.BooleanField())


_ENGINES: dict[str, _Engine] = {"postgresql": _PostgresEngine(), "sqlite": _SQLiteEngine()}


def _engine(using: str) -> _Engine:
    vendor = connections[using].vendor
    try:
        return _ENGINES[vendor]
    except KeyError:
        raise NotImplementedError(f"Full-text search does not support {vendor}.") from None


# --- Index maintenance ----------------------------------------------------


def install_index(*, using: str = "default", rebuild: bool | None = None) -> None:
    """Create the search index structures and triggers if missing (idempotent).

    Runs after every ``migrate``. Rebuilds the index when it is missing rows
    (a new install, or an SQLite table rebuilt by a migration), or when
    ``rebuild`` is True.
    """
    connection = connections[using]
    engine = _engine(using)
    with transaction.atomic(using=using):
        engine.install(connection)
        if rebuild is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM directory_resource")
                resources = cursor.fetchone()[0]
            rebuild = engine.indexed_count(connection) != resources or engine.is_stale(connection)
        if rebuild:
            engine.rebuild(connection)


def rebuild_index(*, using: str = "default") -> None:
    """Recompute every resource's search document and the vocabulary."""
    install_index(using=using, rebuild=True)
    rebuild_vocabulary(using=using)


@contextmanager
def bulk_indexing(*, using: str = "default") -> Iterator[None]:
    """Suspend the per-row index triggers for a bulk load, then rebuild once.

    Refreshing a document per inserted row (and again per topic link) would
    multiply the cost of loading a million resources; one set-based rebuild
    at the end is far cheaper. Use it inside a transaction.
    """
    connection = connections[using]
    engine = _engine(using)
    engine.drop_triggers(connection)
    try:
        yield
    finally:
        engine.install(connection)
    # Fresh planner statistics, before the rebuild reads what was loaded and
    # again after it: stale ones are wrong by orders of magnitude after a
    # bulk load, and so are the plans made with them (a million-row load
    # planned as if the tables were empty never finished).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    engine.rebuild(connection)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def tidy_after_bulk_change(*, using: str = "default") -> None:
    """Let PostgreSQL use covering indexes after a bulk load: those of the
    index table and of locations ("near"), of resources (exact counts such
    as HSDS's ``total_items``: 50 ms on a fresh 100k load, 10 ms after) and
    of the topic, audience and language links (the API's related rows).

    An index-only scan can skip reading a row only on pages VACUUM has
    marked all-visible; autovacuum gets there eventually, this does it at
    once. Outside a transaction only (VACUUM cannot run in one); a no-op on
    SQLite and inside a transaction.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = [
        SEARCH_TABLE, "directory_location", "directory_resource", "directory_resource_topics",
        "directory_resource_audiences", "directory_resource_languages",
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")


def bulk_insert(*, table: str, columns: list[str], rows: list, using: str = "default") -> None:
    """Insert rows of already prepared values (``Field.get_db_prep_save``) in bulk.

    COPY on PostgreSQL, ``executemany`` on SQLite; used by the synthetic data
    generator, which loads millions of rows.
    """
    _engine(using).bulk_insert(connections[using], table, columns, rows)


def _on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    install_index(using=using)


def _on_resource_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    from directory.models import PublicationStatus

    if raw or instance.status != PublicationStatus.PUBLISHED:
        return
    add_to_vocabulary(
        _resource_words([instance.name, instance.alternate_name, instance.summary])
        | _resource_words([instance.description])
    )


def _on_term_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        add_to_vocabulary(tokenize(instance.name))


def _on_synonyms_changed(sender: Any, **kwargs: Any) -> None:
    clear_caches()


def connect_signals() -> None:
    """Wire index installation and cache invalidation (called from the app config)."""
    from django.db.models.signals import post_delete, post_migrate, post_save

    from directory.models import Resource, SearchSynonym, TaxonomyTerm

    post_migrate.connect(_on_post_migrate, dispatch_uid="directory.search.install")
    post_save.connect(_on_resource_saved, sender=Resource, dispatch_uid="directory.search.res")
    post_save.connect(_on_term_saved, sender=TaxonomyTerm, dispatch_uid="directory.search.term")
    for signal in (post_save, post_delete):
        signal.connect(
            _on_synonyms_changed,
            sender=SearchSynonym,
            dispatch_uid=f"directory.search.syn.{signal}",
        )


# --- Searching ------------------------------------------------------------


def _on_index_alone(queryset: models.QuerySet) -> models.QuerySet | None:
    """The same rows as ``queryset`` (published resources, filtered by search,
    tags and resource keys only), selected from the index table alone; None
    for any other queryset.

    Why: joining each candidate to its resource row only to check that it is
    published is most of the cost of counting or windowing thousands of
    matches, and it tempts PostgreSQL's planner into walking both tables in
    key order. The index row knows whether its resource is published, and
    its resource's key (``_Engine.index_key``).
    """
    from django.db.models.expressions import Col
    from django.db.models.lookups import Exact, IsNull
    from django.db.models.sql.where import AND

    from directory.models import PublicationStatus, ResourceSearchDocument

    engine = _engine(queryset.db)
    query = queryset.query
    if not engine.knows_published or query.distinct or query.extra or query.combinator:
        return None
    if query.where.connector != AND or query.where.negated:
        return None
    published = False
    conditions = []
    for child in query.where.children:
        lhs = getattr(child, "lhs", None)
        if (
            isinstance(child, Exact)
            and isinstance(lhs, Col)
            and lhs.target.attname == "status"
            and lhs.target.model._meta.label == "directory.Resource"
            and child.rhs == PublicationStatus.PUBLISHED
        ):
            published = True
        elif isinstance(child, IsNull) and isinstance(lhs, Col):
            if lhs.target.model is not ResourceSearchDocument:
                return None
        else:
            condition = _index_condition(child, engine)
            if condition is None:
                return None
            conditions.append(condition)
    if not published:
        return None
    rows = ResourceSearchDocument.objects.using(queryset.db).all()
    for condition in engine.published_conditions(conditions):
        rows.query.where.add(condition, AND)
    return rows


def _index_condition(node: Any, engine: _Engine) -> Any:
    """``node`` of a WHERE clause restated on the index table alone, or None.

    Index conditions (``_SearchSQL``) stay; a resource's key tested against
    a subquery (``pk__in=…``, as "near" and distance order do) is tested on
    the index row's copy of the key (``_KeyIn``); ``AND``, ``OR`` and ``NOT`` of those
    are kept as they are. Anything else reads the resource row: None.
    """
    from django.db.models.expressions import Col
    from django.db.models.lookups import Exact, In
    from django.db.models.sql.query import Query
    from django.db.models.sql.where import WhereNode

    from directory.models import Resource, ResourceSearchDocument

    if isinstance(node, WhereNode):
        children = [_index_condition(child, engine) for child in node.children]
        if any(child is None for child in children):
            return None
        return WhereNode(children, connector=node.connector, negated=node.negated)
    lhs = getattr(node, "lhs", None)
    if isinstance(node, Exact) and isinstance(lhs, _SearchSQL) and node.rhs is True:
        return node
    is_key = (
        isinstance(lhs, Col)
        and lhs.target.primary_key
        and lhs.target.model in (Resource, ResourceSearchDocument)
    )
    if isinstance(node, In) and is_key and isinstance(node.rhs, Query) and engine.key_tests_alone:
        return _KeyIn(node.rhs)
    return None


def _joined(queryset: models.QuerySet) -> models.QuerySet:
    """``queryset`` with an inner join to each resource's index row.

    ``filter(search_document__isnull=False)`` makes the join; where the
    engine says so (``drops_join_test``), its test is then dropped, as the
    join condition already leaves out resources without an index row.
    """
    from django.db.models.lookups import IsNull

    from directory.models import ResourceSearchDocument

    queryset = queryset.filter(search_document__isnull=False)
    where = queryset.query.where
    test = where.children[-1]
    if (
        _engine(queryset.db).drops_join_test
        and where.connector == "AND"
        and not where.negated
        and isinstance(test, IsNull)
        and test.lhs.target.model is ResourceSearchDocument
    ):
        where.children.pop()
    return queryset


def search_queryset(queryset: models.QuerySet, text: str | None) -> models.QuerySet:
    """``queryset`` narrowed to resources matching ``text``, best first.

    Blank text leaves the queryset as it is; text that cannot match anything
    gives an empty queryset. Results carry ``search_rank`` (higher is
    better) and are ordered by it, then by primary key. They are the ranked
    window (at most ``RANK_WINDOW``); take totals with ``count_results`` and
    facets with ``facets``, which count every match.
    """
    parsed = parse_query(text, using=queryset.db)
    if parsed.is_blank:
        return queryset
    if parsed.matches_nothing:
        # Same shape as a real search, so callers can rely on search_rank.
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField())).none()
    engine = _engine(queryset.db)
    matching = _joined(queryset).filter(engine.match(parsed))
    # The first RANK_WINDOW matches in index order (cheap: the scan stops
    # there); ranking and sorting only them keeps words found in most
    # listings as fast as rare ones. Below RANK_WINDOW matches, the window
    # holds them all and the ranking is exact.
    alone = _on_index_alone(matching)  # (never "or": a QuerySet's truth runs it)
    keyed = (matching if alone is None else alone).annotate(
        _key=_SearchSQL(engine.window_key, [], engine.window_key_field())
    )
    keyed = keyed.order_by("_key") if engine.window_ordered else keyed.order_by()
    window = keyed.values("_key")[:RANK_WINDOW]
    rank = engine.rank(parsed)
    ranked = None
    if engine.ranks_window:
        ranked = keyed.annotate(_rank=rank).values("_key", "_rank")[:RANK_WINDOW]
    # The window test comes first in the WHERE clause: SQLite checks terms
    # in order, and the others read each match's stored row.
    searched = (
        _joined(queryset.filter(_RankWindow(window, engine.window_template, ranked)))
        .filter(engine.match(parsed))
        .annotate(search_rank=rank)
        .order_by("-search_rank", "pk")
    )
    where = searched.query.where
    for node in where.children:
        if _is_window(node):
            node.lhs.ranked_query = (tuple(searched.query.order_by), len(where.children))
            node.lhs.counts_all = alone is not None
    return searched


def has_tags(tags: Iterable[str], *, using: str = "default") -> Expression:
    """A condition true for resources that carry any of ``tags``, tested row by row.

    Unlike ``tagged``, which the index answers, this may sit in an ``OR``
    (FTS5 allows MATCH only at the top of a WHERE clause): PostgreSQL tests
    each candidate's stored tags, SQLite looks each candidate's rowid up in
    the rows the index gives for the tags. The queryset must join the index
    first, as ``tagged`` does.
    """
    return _engine(using).has_tags(sorted(set(tags)))


def tagged(queryset: models.QuerySet, tags: Iterable[str]) -> models.QuerySet:
    """``queryset`` narrowed to resources that carry any of ``tags``.

    Each call adds one condition; conditions of several calls are ANDed and
    answered together by the index, with the words of a search.
    """
    return _joined(queryset).filter(_engine(queryset.db).match_tags(sorted(set(tags))))


def order_by_name(queryset: models.QuerySet, *first: Any) -> models.QuerySet:
    """``queryset`` ordered by ``first`` terms, then name and primary key.

    With the index joined (a search or tag filters), PostgreSQL orders by the
    index row's copy of the name, so only the page's resources are joined.
    """
    if not _joins_index(queryset):
        return queryset.order_by(*first, "name", "pk")
    return queryset.order_by(*first, *_engine(queryset.db).name_order())


def order_by_distance(queryset: models.QuerySet, nearby: models.QuerySet) -> models.QuerySet:
    """``queryset`` (from ``ResourceQuerySet.near``) nearest first, then by name.

    ``nearby`` selects the resource keys of the locations in the radius,
    which carry their ``distance``
    (``Location.objects.within(...).values("resource_id")``). Resources with
    a location there come first, by distance; the others (nationwide,
    state-wide, local areas) follow by name, up to ``RANK_WINDOW`` of them,
    as relevance order does: sorting every nationwide listing by name for
    each "near me" page is what made it slow. ``order=name`` lists them all;
    totals count them all.
    """
    key = resource_key(queryset)
    engine = _engine(queryset.db)
    others = queryset.alias(_others_key=key).exclude(_others_key__in=nearby)
    # For the others, "has a location in the radius" is false, so near()'s
    # "serves the place" (area tags OR a nearby location) is its area tags
    # alone: the index answers that by itself, where the OR probed every
    # candidate against the nearby keys (a third of the window's time).
    within = getattr(nearby.query, "within", None)  # (LocationQuerySet.within's circle)
    if within is not None:
        others.query.where = _drop_known_false(others.query.where, within)
    others.query.where = _tighter_tag_tests(others.query.where, engine)
    alone = _on_index_alone(others)  # (never "or": a QuerySet's truth runs it)
    walk = alone is not None and engine.walks_names
    if alone is None:
        window = order_by_name(others).annotate(_window_key=key).values("_window_key")
    elif walk:
        window = alone.annotate(
            _rowid=_SearchSQL("{table}.rowid", [], models.IntegerField())
        ).values("_rowid")
    else:
        # On the index alone, the others need not be joined to their
        # resources to be ordered by name: thousands of candidates for a
        # "near me" that matches every nationwide listing.
        window = (
            alone.annotate(_window_key=engine.index_key())
            .order_by(*engine.index_name_order())
            .values("_window_key")
        )
    # Each nearby resource's distance (to its nearest location there), and
    # what tells the matches among them, for the nearest-first bound (where
    # the engine takes it: building them is a good part of the Python time
    # otherwise).
    distances = nearby.annotate(_distance=Min("distance"))
    matches = _nearby_matches(queryset, within, engine) if engine.nearest_first else None
    if matches is None and engine.nearest_first and engine.nearest_tests_keys:
        matches = queryset.order_by().values("pk")
    if matches is None:
        distances = None
    bounded = queryset.filter(_OrderWindow(key, window, nearby, distances, matches, walk=walk))
    return order_by_name(bounded, models.F("distance_miles").asc(nulls_last=True))


def _nearby_matches(queryset: models.QuerySet, within: Any, engine: _Engine) -> Any:
    """The index rows (``nearby_match_column``) of ``queryset``'s matches,
    for resources with a location ``within`` the circle; None where the
    index alone cannot say.

    For those resources "serves the place" is true (they have a location
    there), so near()'s OR of area tags and nearby keys is dropped: what
    is left (published, the grid cells, other filters) is on the index,
    and each nearby resource is one index row to test, not a run of the
    whole query with its OR.
    """
    if within is None:
        return None
    served = queryset.order_by()
    served.query.where = _tighter_tag_tests(_drop_known_true(served.query.where, within), engine)
    alone = _on_index_alone(served)
    if alone is None:
        return None
    column = _SearchSQL(engine.nearby_match_column, [], models.Field())
    return alone.annotate(_match=column).values("_match")


def _tests_within(node: Any, within: Any) -> bool:
    """Whether ``node`` is "key in the locations ``within`` the circle"."""
    from django.db.models.lookups import In

    return isinstance(node, In) and getattr(node.rhs, "within", None) == within


def _drop_known_true(node: Any, within: Any) -> Any:
    """``node`` (an AND) without its ORs that have a disjunct "key in the
    locations ``within``": for a resource known to have a location there,
    each such OR is true."""
    from django.db.models.sql.where import AND, OR, WhereNode

    if not isinstance(node, WhereNode) or node.connector != AND or node.negated:
        return node

    def known_true(child: Any) -> bool:
        return (
            isinstance(child, WhereNode)
            and child.connector == OR
            and not child.negated
            and any(_tests_within(test, within) for test in child.children)
        )

    clone = node.create(connector=AND, negated=False)
    clone.children = [
        _drop_known_true(child, within) for child in node.children if not known_true(child)
    ]
    return clone


def _drop_known_false(node: Any, within: Any) -> Any:
    """``node`` without the disjuncts "key in the locations ``within``" of its ORs.

    Only for a WHERE clause that also excludes those keys: each such test
    is then false on every row, and an OR without a false disjunct is the
    same condition (negated or not). ANDs are left as they are.
    """
    from django.db.models.sql.where import OR, WhereNode

    if not isinstance(node, WhereNode):
        return node
    children = [_drop_known_false(child, within) for child in node.children]
    if node.connector == OR:
        kept = [child for child in children if not _tests_within(child, within)]
        children = kept or children
    clone = node.create(connector=node.connector, negated=node.negated)
    clone.children = children
    return clone


def _tighter_tag_tests(where: Any, engine: _Engine) -> Any:
    """``where`` (an AND) with the same rows, its tag tests made cheaper.

    An OR or AND of one condition is that condition; a tag test at the top
    becomes an index match (FTS5 then intersects it with the others
    instead of testing each of their rows); and a match implied by a
    narrower one is dropped ("near" asks for the place's area tags or the
    grid cells around it, which the area tags alone imply once the nearby
    locations are out).
    """
    from django.db.models.lookups import Exact
    from django.db.models.sql.where import AND, WhereNode

    if where.connector != AND or where.negated:
        return where
    children = []
    for child in where.children:
        while isinstance(child, WhereNode) and len(child.children) == 1 and not child.negated:
            child = child.children[0]
        if isinstance(child, WhereNode) and child.connector == AND and not child.negated:
            children.extend(child.children)
        else:
            children.append(child)

    def tags(node: Any) -> frozenset[str] | None:
        test = getattr(node, "lhs", None)
        if isinstance(node, Exact) and isinstance(test, _TagTest) and node.rhs is True:
            return test.tags
        return None

    tightened = []
    for child in children:
        if tags(child) is not None:
            child = copy.copy(child)
            child.lhs = engine.match_tags(sorted(child.lhs.tags))
        tightened.append(child)
    kept = [
        child
        for child in tightened
        if tags(child) is None
        or not any(
            other is not child and tags(other) is not None and tags(other) < tags(child)
            for other in tightened
        )
    ]
    clone = where.create(connector=AND, negated=False)
    clone.children = kept
    return clone


def resource_key(queryset: models.QuerySet) -> Any:
    """An expression for the primary key that keeps an ORDER BY on the index side."""
    aliases = _index_aliases(queryset)
    if len(aliases) != 1:
        return models.F("pk")
    return _engine(queryset.db).resource_key(aliases[0])


def _index_aliases(queryset: models.QuerySet) -> list[str]:
    return [a for a, join in queryset.query.alias_map.items() if join.table_name == SEARCH_TABLE]


def _joins_index(queryset: models.QuerySet) -> bool:
    return bool(_index_aliases(queryset))


# --- Counting -------------------------------------------------------------


@dataclass(frozen=True)
class ResultCount:
    """How many results a query has.

    ``exact`` is False above ``EXACT_COUNT_LIMIT``; ``value`` is then the
    engine's estimate (PostgreSQL's planner) or a lower bound (SQLite, which
    has no estimates): show it as "about …" or "more than …".
    """

    value: int
    exact: bool


def _without_window(node: Any) -> Any:
    from django.db.models.sql.where import WhereNode

    if isinstance(node, WhereNode):
        clone = node.create(connector=node.connector, negated=node.negated)
        clone.children = [
            _without_window(child) for child in node.children if not _is_window(child)
        ]
        return clone
    return node


def _is_window(node: Any) -> bool:
    # filter(expression) stores the expression as ``Exact(expression, True)``.
    return isinstance(node, _RankWindow) or isinstance(getattr(node, "lhs", None), _RankWindow)


def matches_of(queryset: models.QuerySet) -> models.QuerySet:
    """``queryset`` with every match of its search, not only the ranked window, unordered.

    For totals and facets: relevance order needs only the window, counts
    need all matches.
    """
    queryset = queryset.order_by()
    queryset.query.where = _without_window(queryset.query.where)
    return queryset


def counted(queryset: models.QuerySet) -> models.QuerySet:
    """The rows ``count_results`` counts for ``queryset``: every match, on the index
    alone when it can answer every condition (``_on_index_alone``)."""
    return _counted_rows(matches_of(queryset))


def _counted_rows(matches: models.QuerySet) -> models.QuerySet:
    alone = _on_index_alone(matches)
    return matches if alone is None else alone


# A tag test against more tags than this is costly row by row (an array
# overlap compares every pair); "near" tests the place's areas and grid cells.
FAST_START_MAX_TAGS = 8


def _tests_many_tags(node: Any) -> bool:
    if isinstance(node, _TagTest):
        return len(node.tags) > FAST_START_MAX_TAGS
    if isinstance(getattr(node, "lhs", None), _TagTest):
        return _tests_many_tags(node.lhs)
    return any(_tests_many_tags(child) for child in getattr(node, "children", ()))


def count_statement(matches: models.QuerySet, *, limit: int) -> tuple[str, list[Any], str]:
    """The statement that counts the rows of ``matches`` (``counted()``), stopping
    at ``limit``: (statement, params, the matches' own statement, which takes
    the same params). Raises ``EmptyResultSet`` for a query that cannot match.
    """
    # Each match as a constant: selecting its key makes SQLite read the
    # key's stored value from FTS5's content table for every row counted
    # (2 ms for a thousand rows). Distinct rows need their key, though.
    if matches.query.distinct:
        selected = matches.values("pk")
    else:
        selected = matches.annotate(_match=models.Value(1)).values("_match")
    sql, params = selected.query.sql_with_params()
    engine = _engine(matches.db)
    template = (
        engine.fully_planned_count_template
        if _tests_many_tags(matches.query.where)
        else engine.bounded_count_template
    )
    return template.format(sql=sql, limit=int(limit)), list(params), sql


def count_results(queryset: models.QuerySet, *, limit: int = EXACT_COUNT_LIMIT) -> ResultCount:
    """The total number of results of ``queryset`` (a search, filters, or both).

    Exact up to ``limit``: counting stops at ``limit`` + 1 rows, because
    counting every match of a very common word reads every matching row.
    Above it, an estimate (see ``ResultCount``). One query, two when
    estimating on PostgreSQL, one more first when a part of the matches
    may alone pass the limit (``_part_on_index``). On PostgreSQL the query
    also ranks a search's window where it can (``shared_window``), for the
    page asked for next: count first, then take the page.
    """
    counted_window = _counted_window(queryset, limit)
    if counted_window is not None:
        return counted_window
    every = matches_of(queryset)
    part = _part_on_index(every)
    connection = connections[queryset.db]
    if part is not None:
        try:
            statement, params, _ = count_statement(part, limit=limit + 1)
        except EmptyResultSet:
            pass
        else:
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                if cursor.fetchone()[0] > limit:
                    return _estimated(every, limit)
    matches = _counted_rows(every)  # (only now: the part often settles it)
    # Compiled once for the count and the estimate: with "near" and
    # filters, compiling the conditions costs as much as counting.
    try:
        statement, params, sql = count_statement(matches, limit=limit + 1)
    except EmptyResultSet:  # a queryset.none(), as for a query of stop words only
        return ResultCount(value=0, exact=True)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        found = cursor.fetchone()[0]
    return _bounded_count(found, limit, sql, params, using=queryset.db)


def _bounded_count(found: int, limit: int, sql: str, params: Any, *, using: str) -> ResultCount:
    """``found`` rows counted up to ``limit`` + 1; above ``limit``, the
    estimate of the rows of ``sql`` (the matches' own statement) instead."""
    if found <= limit:
        return ResultCount(value=found, exact=True)
    estimate = estimated_rows(sql, params, using=using)
    return ResultCount(value=max(limit + 1, estimate or 0), exact=False)


def shared_window(queryset: models.QuerySet) -> _RankWindow | None:
    """The rank window of ``queryset`` when ``count_results`` can count with
    it (the engine's ``window_count_template``), else None.

    Only where the window's rows are every match: no condition was added
    after the search, and the window runs on the index alone
    (``counts_all``; the plans measured at scale). Not with a tag test
    costly row by row ("near"), which a count plans in full
    (``count_statement``) where a window starts fast.
    """
    engine = _engine(queryset.db)
    where = queryset.query.where
    if not engine.window_count_template or where.connector != "AND" or where.negated:
        return None
    for node in where.children:
        window = getattr(node, "lhs", None)
        if (
            type(window) is _RankWindow
            # (Set with ranked_query, by search_queryset.)
            and window.counts_all
            # No condition added after the search (the window knows none).
            and window.ranked_query[1] == len(where.children)
            and not _tests_many_tags(window.ranked.query.where)
        ):
            return window
    return None


def window_count_statement(
    window: _RankWindow, *, limit: int, using: str
) -> tuple[str, list[Any], str]:
    """The statement that counts the rows of ``window`` (``shared_window``),
    stopping at ``limit``, and gives its keys ranked: (statement, params,
    the matches' own statement, which takes the same params)."""
    query = window.ranked.query.clone()
    query.clear_limits()
    sql, params = query.get_compiler(using=using).as_sql()
    scan = f"{sql} LIMIT {max(int(limit), RANK_WINDOW)}"
    template = _engine(using).window_count_template
    return template.format(sql=scan, limit=int(limit), window=RANK_WINDOW), list(params), sql


def _counted_window(queryset: models.QuerySet, limit: int) -> ResultCount | None:
    """``count_results`` in one statement with the rank window, when it can
    (``shared_window``): the window keeps its ranked keys for the page."""
    window = shared_window(queryset)
    if window is None:
        return None
    statement, params, sql = window_count_statement(window, limit=limit + 1, using=queryset.db)
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(statement, params)
        found, keys = cursor.fetchone()
    window.known_keys = list(keys or ())
    return _bounded_count(found, limit, sql, params, using=queryset.db)


def count_parts(queryset: models.QuerySet) -> tuple[models.QuerySet | None, models.QuerySet]:
    """What ``count_results`` counts: a part of the matches to count first
    (``_part_on_index``), or None; then every match (``counted``)."""
    every = matches_of(queryset)
    return _part_on_index(every), _counted_rows(every)


def estimated_rows(sql: str, params: Any, *, using: str = "default") -> int | None:
    """The engine's estimate of how many rows the statement ``sql`` gives, or
    None where it has none: what ``count_results`` shows above its limit."""
    return _engine(using).estimate_rows(connections[using], sql, params)


def _estimated(matches: models.QuerySet, limit: int) -> ResultCount:
    """The count of ``matches`` (``matches_of``), known to pass ``limit``: the
    engine's estimate, or ``limit`` + 1 as a lower bound."""
    estimate = _engine(matches.db).estimate_count(matches)
    return ResultCount(value=max(limit + 1, estimate or 0), exact=False)


def _part_on_index(matches: models.QuerySet) -> models.QuerySet | None:
    """Some of ``matches`` (``matches_of``) that the index finds alone, or
    None: each OR at the top of its conditions narrowed to its first
    disjunct that is an index condition, on the index alone.

    Why: "near" matches the place's area tags OR a location in the radius;
    counting that tests every candidate against the locations, where the
    area tags alone (every nationwide listing) pass the limit at once.
    When the part passes the limit, so do the matches.
    """
    from django.db.models.lookups import Exact
    from django.db.models.sql.where import AND, OR, WhereNode

    where = matches.query.where
    if where.connector != AND or where.negated:
        return None

    def on_index(node: Any) -> bool:
        return isinstance(node, Exact) and isinstance(node.lhs, _SearchSQL) and node.rhs is True

    children, narrowed = [], False
    for child in where.children:
        if isinstance(child, WhereNode) and child.connector == OR and not child.negated:
            index_tests = [test for test in child.children if on_index(test)]
            if index_tests:
                child, narrowed = index_tests[0], True
        children.append(child)
    if not narrowed:
        return None
    part = matches.all()
    part.query.where = where.create(connector=AND, negated=False)
    part.query.where.children = children
    part.query.where = _tighter_tag_tests(part.query.where, _engine(matches.db))
    return _on_index_alone(part)


# --- Facets ---------------------------------------------------------------


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet group and how many results have it.

    ``exact`` is False when the results were too many to count one by one
    (more than ``FACET_SAMPLE``): the count is then scaled from the first
    ``FACET_SAMPLE`` matches by the engine's estimate of the total
    (PostgreSQL), or is a lower bound (SQLite, which has no estimates).
    """

    value: str
    label: str
    count: int
    exact: bool = True


FACET_GROUPS = ("kind", "topic", "audience", "urgency", "channel", "cost", "language")
# Facet counts are exact up to this many results; see ``FacetValue``.
FACET_SAMPLE = 20_000


def facets(
    queryset: models.QuerySet, *, groups: Iterable[str] = FACET_GROUPS
) -> dict[str, list[FacetValue]]:
    """Counts of the resources in ``queryset`` per value of each facet group.

    Groups: kind, topic, audience, urgency, channel, cost, language (the
    keys of the result, in ``FACET_GROUPS`` order, limited to ``groups``);
    each lists the values that occur, most frequent first. The count of a
    value is the number of resources in ``queryset`` that have it, so it
    equals what adding that value as a filter would return. They are counted
    from the filter tags in the index: one query for all groups, and one
    each for the names of taxonomy terms and languages when asked for.
    """
    from directory.models import ChannelKind, Cost, Language, TaxonomyTerm, Urgency

    asked = set(groups)
    if unknown := asked - set(FACET_GROUPS):
        raise ValueError(f"Unknown facet groups: {', '.join(sorted(unknown))}")
    wanted = [g for g in FACET_GROUPS if g in asked]
    if not wanted:
        return {}
    engine = _engine(queryset.db)
    matches = counted(_joined(queryset))
    counts, read = engine.count_tags(matches, FACET_SAMPLE)
    exact, scale = True, 1.0
    if read > FACET_SAMPLE:
        exact = False
        estimate = engine.estimate_count(matches)
        scale = max(1.0, (estimate or read) / read)

    by_group: dict[str, dict[str, int]] = {g: {} for g in wanted}
    prefixes = {TAG_PREFIXES[g]: g for g in wanted}
    for tag_, n in counts.items():
        prefix, _, value = tag_.partition(":")
        if prefix in prefixes:
            by_group[prefixes[prefix]][value] = round(n * scale)

    labels: dict[str, dict[str, str]] = {}
    taxonomies = [g for g in ("kind", "topic", "audience") if by_group.get(g)]
    if taxonomies:
        codes = {code for g in taxonomies for code in by_group[g]}
        for taxonomy, code, name in (
            TaxonomyTerm.objects.using(queryset.db)
            .filter(taxonomy__code__in=taxonomies, code__in=codes)
            .values_list("taxonomy__code", "code", "name")
        ):
            labels.setdefault(taxonomy, {})[code] = name
    if by_group.get("language"):
        labels["language"] = dict(
            Language.objects.using(queryset.db)
            .filter(code__in=by_group["language"])
            .values_list("code", "name")
        )
    for group, choices in (("urgency", Urgency), ("channel", ChannelKind), ("cost", Cost)):
        if group in by_group:
            labels[group] = {str(v): str(label) for v, label in choices.choices if v}

    return {
        group: sorted(
            (
                FacetValue(value, labels[group][value], n, exact)
                for value, n in by_group[group].items()
                if value in labels.get(group, {})
            ),
            key=lambda v: (-v.count, v.label),
        )
        for group in wanted
    }


# --- Suggestions ----------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A completion for search-as-you-type: a resource or a taxonomy term."""

    kind: str  # "resource", or the taxonomy code: "kind", "topic", "audience"
    label: str
    value: str  # the resource slug or the term code
    url: str = ""


def suggest(prefix: str | None, *, limit: int = 8, using: str = "default") -> list[Suggestion]:
    """Published resource names and taxonomy terms whose words start with what was typed.

    Every typed word must start a word of the name, in any order; names
    that begin with the typed text come first, then shorter names. Terms
    come before resources (they lead to broader searches). Two queries.
    """
    from directory.models import Resource, TaxonomyTerm

    words = tokenize(prefix or "")[:MAX_QUERY_WORDS]
    if not words or limit <= 0:
        return []
    typed = " ".join(words)

    def score(label: str) -> tuple:
        normalized = " ".join(tokenize(label))
        return (not normalized.startswith(typed), len(label), label)

    def matches(label: str) -> bool:
        label_words = tokenize(label)
        return all(any(lw.startswith(w) for lw in label_words) for w in words)

    terms = [
        Suggestion(kind=code, label=name, value=term_code)
        for name, term_code, code in TaxonomyTerm.objects.using(using).values_list(
            "name", "code", "taxonomy__code"
        )
        if matches(name)
    ]
    terms.sort(key=lambda s: score(s.label))

    engine = _engine(using)
    # A bounded candidate set keeps a one-letter prefix cheap on a million
    # listings; the final order is decided here.
    candidates = (
        _joined(Resource.objects.using(using).published())
        .filter(engine.prefix_name_match(words))
        .order_by()
        .values_list("name", "slug")[:200]
    )
    resources = sorted(
        (
            Suggestion(kind="resource", label=n, value=s, url=f"/resources/{s}/")
            for n, s in candidates
        ),
        key=lambda s: score(s.label),
    )
    return (terms[: max(2, limit // 3)] + resources)[:limit] if resources else terms[:limit]
