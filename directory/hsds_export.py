"""Exporting the whole directory as HSDS 3.1: JSON documents or the CSV tabular form.

The JSON export is a list of organization documents, each with its
``services`` fully nested, as the HSDS API's ``/organizations/{id}`` returns
them; the CSV export is the same data as HSDS tables in a zip archive
(``directory.hsds_tabular``). Every document is validated against the official
schemas before anything is written, so a file we hand out is always valid
HSDS. Both exports include drafts and archived listings (``status``
``inactive``/``defunct``): they are a curator's backup and exchange format,
not the public API. Draft copies of changes are not listings and are left out.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Literal

from directory import hsds, hsds_tabular
from directory.models import Organization, Resource

Format = Literal["json", "csv"]


def directory_documents(*, resources: Any = None) -> list[dict[str, Any]]:
    """Organization documents with their nested services, validated.

    ``resources`` limits the export to some listings (and their organizations).
    """
    queryset = Resource.objects.live() if resources is None else resources.live()
    services = defaultdict(list)
    for resource in hsds.prefetch_services(queryset.order_by("name", "id")):
        services[resource.organization_id].append(hsds.service_document(resource))
    organizations = Organization.objects.order_by("name", "id")
    if resources is not None:
        organizations = organizations.filter(pk__in=services.keys())
    documents = [
        hsds.organization_document(org, services=services.get(org.pk, [])) for org in organizations
    ]
    for document in documents:
        hsds.validate(document, "organization")
    return documents


def hsds_export(*, format: Format, resources: Any = None) -> bytes:
    """The directory (or ``resources``) as an HSDS JSON file or a zip of CSV tables."""
    documents = directory_documents(resources=resources)
    if format == "csv":
        return hsds_tabular.write_zip(hsds_tabular.flatten(documents))
    return (json.dumps(documents, indent=2, ensure_ascii=False) + "\n").encode()
