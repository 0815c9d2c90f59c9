"""The curators' admin for the directory."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from directory.models import (
    ContactChannel,
    Language,
    Location,
    Organization,
    PublicationStatus,
    Resource,
    Schedule,
    SearchSynonym,
    ServiceArea,
    Taxonomy,
    TaxonomyTerm,
)

TIMESTAMPS = ("created_at", "updated_at")


class TermFilter(admin.SimpleListFilter):
    """Filter by a term of one taxonomy, listing only that taxonomy's terms."""

    taxonomy: str
    relation: str

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(
            TaxonomyTerm.objects.filter(taxonomy__code=self.taxonomy).values_list("code", "name")
        )

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(
                **{
                    f"{self.relation}__code": self.value(),
                    f"{self.relation}__taxonomy__code": self.taxonomy,
                }
            )
        return queryset


class KindFilter(TermFilter):
    title = _("kind")
    parameter_name = "kind"
    taxonomy = Taxonomy.KIND
    relation = "kind"


class TopicFilter(TermFilter):
    title = _("topic")
    parameter_name = "topic"
    taxonomy = Taxonomy.TOPIC
    relation = "topics"


class AudienceFilter(TermFilter):
    title = _("audience")
    parameter_name = "audience"
    taxonomy = Taxonomy.AUDIENCE
    relation = "audiences"


class VerificationAgeFilter(admin.SimpleListFilter):
    title = _("last verified")
    parameter_name = "verified"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        days = settings.VERIFICATION_STALE_DAYS
        return [
            ("stale", _("More than %(days)d days ago") % {"days": days}),
            ("never", _("Never")),
            ("recent", _("Within %(days)d days") % {"days": days}),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        cutoff = timezone.localdate() - timedelta(days=settings.VERIFICATION_STALE_DAYS)
        if self.value() == "stale":
            return queryset.filter(last_verified_on__lt=cutoff)
        if self.value() == "never":
            return queryset.filter(last_verified_on__isnull=True)
        if self.value() == "recent":
            return queryset.filter(last_verified_on__gte=cutoff)
        return queryset


class ContactChannelInline(admin.TabularInline):
    model = ContactChannel
    extra = 0
    fields = (
        "position",
        "kind",
        "value",
        "vanity",
        "keyword",
        "instructions",
        "language",
        "needs_verification",
    )
    autocomplete_fields = ("language",)


class ScheduleInline(admin.TabularInline):
    model = Schedule
    extra = 0
    verbose_name_plural = _("weekly hours (in the resource's time zone; ignored when open 24/7)")


class ServiceAreaInline(admin.TabularInline):
    model = ServiceArea
    extra = 0


class LocationInline(admin.StackedInline):
    model = Location
    extra = 0
    fieldsets = (
        (None, {"fields": ("name", ("address_1", "address_2"), ("city", "state", "postal_code"))}),
        (
            _("Map and access"),
            {"fields": (("latitude", "longitude"), "accessibility", "transportation")},
        ),
    )


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "organization",
        "kind",
        "urgency",
        "status",
        "open_24_7",
        "needs_verification",
        "last_verified_on",
        "updated_at",
    )
    list_display_links = ("name",)
    list_filter = (
        "status",
        KindFilter,
        TopicFilter,
        AudienceFilter,
        "urgency",
        "cost",
        "needs_verification",
        VerificationAgeFilter,
        "open_24_7",
    )
    list_select_related = ("organization", "kind")
    search_fields = ("name", "alternate_name", "summary", "organization__name", "channels__value")
    search_help_text = _("Search by name, summary, organization or phone number (digits).")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("organization", "kind", "topics", "audiences", "languages")
    readonly_fields = (*TIMESTAMPS, "last_verified_by", "curator_edits")
    date_hierarchy = "updated_at"
    list_per_page = 50
    inlines = (ContactChannelInline, ScheduleInline, ServiceAreaInline, LocationInline)
    actions = ("publish", "archive", "mark_verified_today")
    fieldsets = (
        (None, {"fields": ("name", "slug", "alternate_name", "organization", "status")}),
        (_("What it is"), {"fields": ("summary", "description", "url", "email")}),
        (
            _("Classification"),
            {"fields": ("kind", "urgency", "topics", "audiences", "languages", "cost")},
        ),
        (_("Hours"), {"fields": ("open_24_7", "time_zone", "hours_notes")}),
        (
            _("Who can use it"),
            {
                "fields": (
                    "eligibility",
                    ("minimum_age", "maximum_age"),
                    "fees",
                    "application_process",
                ),
                "classes": ("collapse",),
            },
        ),
        (
            _("Verification"),
            {
                "fields": (
                    "needs_verification",
                    ("last_verified_on", "last_verified_by"),
                    "verification_source",
                    "internal_notes",
                )
            },
        ),
        (_("Record"), {"fields": (*TIMESTAMPS, "curator_edits"), "classes": ("collapse",)}),
    )

    @admin.display(description=_("fields edited since the seed data was loaded"))
    def curator_edits(self, obj: Resource) -> str:
        return ", ".join(obj.curator_edited_fields()) or "—"

    def save_model(self, request: HttpRequest, obj: Resource, form: Any, change: bool) -> None:
        if "last_verified_on" in form.changed_data and obj.last_verified_on:
            obj.last_verified_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Publish selected resources"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, PublicationStatus.PUBLISHED)

    @admin.action(description=_("Archive selected resources"), permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, PublicationStatus.ARCHIVED)

    def _set_status(self, request: HttpRequest, queryset: QuerySet, status: str) -> None:
        count = queryset.exclude(status=status).update(status=status, updated_at=timezone.now())
        self.message_user(
            request,
            ngettext(
                "%(count)d resource is now %(status)s.",
                "%(count)d resources are now %(status)s.",
                count,
            )
            % {"count": count, "status": PublicationStatus(status).label.lower()},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark selected resources verified today"), permissions=["change"])
    def mark_verified_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(
            last_verified_on=timezone.localdate(),
            last_verified_by=request.user,
            needs_verification=False,
            updated_at=timezone.now(),
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d resource marked verified today.",
                "%(count)d resources marked verified today.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "alternate_name", "website", "resource_count", "updated_at")
    search_fields = ("name", "alternate_name", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = TIMESTAMPS

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_resource_count=Count("resources"))

    @admin.display(description=_("resources"), ordering="_resource_count")
    def resource_count(self, obj: Organization) -> int:
        return obj._resource_count


@admin.register(Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "term_count")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}
    readonly_fields = TIMESTAMPS

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_term_count=Count("terms"))

    @admin.display(description=_("terms"), ordering="_term_count")
    def term_count(self, obj: Taxonomy) -> int:
        return obj._term_count


@admin.register(TaxonomyTerm)
class TaxonomyTermAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "taxonomy", "parent", "position", "resource_count")
    list_filter = ("taxonomy",)
    list_editable = ("position",)
    list_select_related = ("taxonomy", "parent")
    search_fields = ("name", "code", "description")
    prepopulated_fields = {"code": ("name",)}
    autocomplete_fields = ("parent",)
    readonly_fields = TIMESTAMPS
    ordering = ("taxonomy__code", "position", "name")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # One term belongs to one taxonomy, so at most one of the three
        # relations is non-zero; their sum is the term's use count.
        return (
            super()
            .get_queryset(request)
            .annotate(
                _kind_count=Count("resources_of_kind", distinct=True),
                _topic_count=Count("resources_on_topic", distinct=True),
                _audience_count=Count("resources_for_audience", distinct=True),
            )
        )

    @admin.display(description=_("resources"))
    def resource_count(self, obj: TaxonomyTerm) -> int:
        return obj._kind_count + obj._topic_count + obj._audience_count


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(ContactChannel)
class ContactChannelAdmin(admin.ModelAdmin):
    """All channels in one list: find every listing that uses a number."""

    list_display = ("display_value", "kind", "resource", "keyword", "needs_verification")
    list_filter = ("kind", "needs_verification")
    list_select_related = ("resource",)
    search_fields = ("value", "vanity", "resource__name")
    autocomplete_fields = ("resource", "language")

    @admin.display(description=_("value"), ordering="value")
    def display_value(self, obj: ContactChannel) -> str:
        return obj.display_value


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "resource", "city", "state", "postal_code", "has_coordinates")
    list_filter = ("state",)
    list_select_related = ("resource",)
    search_fields = ("name", "address_1", "city", "postal_code", "resource__name")
    autocomplete_fields = ("resource",)

    @admin.display(description=_("on the map"), boolean=True)
    def has_coordinates(self, obj: Location) -> bool:
        return obj.latitude is not None


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ("__str__", "scope", "resource")
    list_filter = ("scope", "state")
    list_select_related = ("resource",)
    search_fields = ("state", "name", "postal_code", "resource__name")
    autocomplete_fields = ("resource",)


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("resource", "weekday", "opens_at", "closes_at")
    list_filter = ("weekday",)
    list_select_related = ("resource",)
    search_fields = ("resource__name",)
    autocomplete_fields = ("resource",)


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    """Curated synonyms: what people type, and what search also looks for."""

    list_display = ("term", "expansions", "updated_at")
    search_fields = ("term", "expansions")
    readonly_fields = ("updated_at",)


admin.site.site_header = _("Ally Directory curation")
admin.site.site_title = _("Ally Directory admin")
admin.site.index_title = _("Keep listings accurate and current")
