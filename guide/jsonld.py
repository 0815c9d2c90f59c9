"""schema.org JSON-LD for the guide's pages, built from the API's serialized data.

Pages describe themselves to search engines with the same data the API
returns (``guide.serializers``), so the two never disagree.
"""

from __future__ import annotations

from typing import Any

PUBLISHER = {"@type": "Organization", "name": "Ally Directory"}


def _citation(reference: dict[str, Any]) -> dict[str, Any]:
    return {
        "@type": "CreativeWork",
        "name": reference["title"],
        "url": reference["url"],
        "publisher": {"@type": "Organization", "name": reference["publisher"]},
    }


def _dates(guide: dict[str, Any]) -> dict[str, Any]:
    dates = {"dateModified": guide["updated_at"]}
    if guide["published_on"]:
        dates["datePublished"] = guide["published_on"]
    if guide["last_reviewed_on"]:
        dates["lastReviewed"] = guide["last_reviewed_on"]
    return dates


def guide_article(guide: dict[str, Any]) -> dict[str, Any]:
    """An ``Article`` for the whole guide, with its sections as parts."""
    return {
        "@context": "https://schema.org",
        "@type": "Article",
        "@id": guide["html_url"],
        "url": guide["html_url"],
        "headline": guide["title"],
        "description": guide["summary"],
        "inLanguage": "en",
        "isAccessibleForFree": True,
        "publisher": PUBLISHER,
        **_dates(guide),
        "hasPart": [
            {
                "@type": "Article",
                "headline": section["title"],
                "description": section["summary"],
                "url": section["html_url"],
            }
            for section in guide["sections"]
        ],
        "citation": [_citation(reference) for reference in guide["references"]],
    }


def section_article(guide: dict[str, Any], section: dict[str, Any]) -> dict[str, Any]:
    """An ``Article`` for one section, part of the guide and citing its references."""
    return {
        "@context": "https://schema.org",
        "@type": "Article",
        "@id": section["html_url"],
        "url": section["html_url"],
        "headline": section["title"],
        "description": section["summary"],
        "inLanguage": "en",
        "isAccessibleForFree": True,
        "publisher": PUBLISHER,
        **_dates(guide),
        "isPartOf": {"@type": "Article", "@id": guide["html_url"], "headline": guide["title"]},
        "citation": [_citation(reference) for reference in guide["references"]],
    }
