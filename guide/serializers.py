"""Read-only serializers for the guide, shared by the API and the pages' JSON-LD.

They expect the objects that ``GuideQuerySet.with_contents()`` prefetches
and never query on their own. Feedback is never serialized.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from directory.models import Organization, Resource
from guide import sharecard
from guide.models import Guide, PhrasePair, Reference, Section, Tip


def absolute_url(serializer: serializers.Serializer, path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class HtmlUrlField(serializers.URLField):
    """The absolute address of the object's public page (a URL, in the API schema)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return absolute_url(self.parent, value.get_absolute_url())


class ResourceLinkSerializer(serializers.ModelSerializer):
    """A directory resource the guide names: its id and where to read about it."""

    html_url = HtmlUrlField()

    class Meta:
        model = Resource
        fields = ["id", "name", "slug", "html_url"]


class OrganizationLinkSerializer(serializers.ModelSerializer):
    html_url = HtmlUrlField()

    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "html_url"]


class TipSerializer(serializers.ModelSerializer):
    html_url = HtmlUrlField()
    body_html = serializers.CharField(read_only=True)
    related_resources = ResourceLinkSerializer(many=True, read_only=True)

    class Meta:
        model = Tip
        fields = ["id", "slug", "position", "title", "body_html", "html_url", "related_resources"]


class PhrasePairSerializer(serializers.ModelSerializer):
    class Meta:
        model = PhrasePair
        fields = ["could_say", "avoid_saying", "why"]


class ShareCardSerializer(serializers.Serializer):
    """A section's share card, or null when the section has none."""

    text = serializers.CharField(source="share_text")
    sms_href = serializers.SerializerMethodField()
    mailto_href = serializers.SerializerMethodField()
    resource = ResourceLinkSerializer(source="published_share_resource", read_only=True)

    def get_sms_href(self, section: Section) -> str:
        return sharecard.sms_href(section.share_text)

    def get_mailto_href(self, section: Section) -> str:
        return sharecard.mailto_href(section.share_text)

    def to_representation(self, section: Section) -> dict | None:
        return super().to_representation(section) if section.share_text else None


class SectionSerializer(serializers.ModelSerializer):
    html_url = HtmlUrlField()
    body_html = serializers.CharField(read_only=True)
    related_resources = ResourceLinkSerializer(many=True, read_only=True)
    tips = TipSerializer(many=True, read_only=True)
    phrase_pairs = PhrasePairSerializer(many=True, read_only=True)
    share_card = ShareCardSerializer(source="*", read_only=True, allow_null=True)

    class Meta:
        model = Section
        fields = [
            "id",
            "slug",
            "position",
            "title",
            "summary",
            "body_html",
            "html_url",
            "related_resources",
            "tips",
            "phrase_pairs",
            "share_card",
        ]


class ReferenceSerializer(serializers.ModelSerializer):
    organization = OrganizationLinkSerializer(read_only=True)
    resource = ResourceLinkSerializer(source="published_resource", read_only=True)

    class Meta:
        model = Reference
        fields = [
            "id",
            "position",
            "title",
            "publisher",
            "url",
            "accessed_on",
            "organization",
            "resource",
        ]


class GuideSerializer(serializers.ModelSerializer):
    api_url = serializers.HyperlinkedIdentityField(view_name="guide-detail", lookup_field="slug")
    html_url = HtmlUrlField()
    introduction_html = serializers.CharField(read_only=True)
    conclusion_html = serializers.CharField(read_only=True)
    sections = SectionSerializer(many=True, read_only=True)
    references = ReferenceSerializer(many=True, read_only=True)

    class Meta:
        model = Guide
        fields = [
            "id",
            "api_url",
            "html_url",
            "slug",
            "title",
            "summary",
            "introduction_html",
            "conclusion_html",
            "published_on",
            "last_reviewed_on",
            "reviewer",
            "updated_at",
            "sections",
            "references",
        ]
