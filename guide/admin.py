"""The curators' admin for the ally guide."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from directory.admin import RevertibleHistoryAdmin
from guide.models import Feedback, Guide, PhrasePair, Reference, Section, Tip

TIMESTAMPS = ("created_at", "updated_at")


def _preview(html: str) -> str:
    # Sanitized by guide.markdown; shown exactly as the public page shows it.
    return format_html('<div class="guide-preview">{}</div>', mark_safe(html))  # noqa: S308


class DueForReviewFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("due", _("Due for review (never, or over 12 months ago)")),
            ("current", _("Reviewed within 12 months")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        due = Guide.objects.due_for_review()
        if self.value() == "due":
            return queryset.filter(pk__in=due.values("pk"))
        if self.value() == "current":
            return queryset.exclude(pk__in=due.values("pk"))
        return queryset


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ("position", "title", "slug", "status", "summary")
    prepopulated_fields = {"slug": ("title",)}
    show_change_link = True
    verbose_name_plural = _("sections (in order of position; open one to edit its tips)")


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 0
    fields = ("position", "title", "publisher", "url", "accessed_on", "organization", "resource")
    autocomplete_fields = ("organization", "resource")


@admin.register(Guide)
class GuideAdmin(RevertibleHistoryAdmin):
    list_display = (
        "title",
        "status",
        "published_on",
        "last_reviewed_on",
        "due_for_review",
        "section_count",
        "updated_at",
    )
    list_filter = ("status", DueForReviewFilter)
    search_fields = ("title", "summary")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = (*TIMESTAMPS, "preview", "curator_edits")
    inlines = (SectionInline, ReferenceInline)
    actions = ("mark_reviewed_today",)
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "status")}),
        (_("Text"), {"fields": ("introduction", "conclusion", "preview")}),
        (
            _("Publication and review"),
            {"fields": ("published_on", "last_reviewed_on", "reviewer")},
        ),
        (_("Record"), {"fields": (*TIMESTAMPS, "curator_edits"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_section_count=Count("sections"))

    @admin.display(description=_("sections"), ordering="_section_count")
    def section_count(self, obj: Guide) -> int:
        return obj._section_count

    @admin.display(description=_("due for review"), boolean=True)
    def due_for_review(self, obj: Guide) -> bool:
        return obj.is_due_for_review

    @admin.display(description=_("preview (as last saved)"))
    def preview(self, obj: Guide) -> str:
        return _preview(obj.introduction_html + obj.conclusion_html)

    @admin.display(description=_("fields edited since the seed data was loaded"))
    def curator_edits(self, obj: Guide) -> str:
        return ", ".join(obj.curator_edited_fields()) or "—"

    @admin.action(description=_("Mark selected guides reviewed today"), permissions=["change"])
    def mark_reviewed_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(last_reviewed_on=timezone.localdate(), updated_at=timezone.now())
        self.message_user(
            request,
            ngettext(
                "%(count)d guide marked reviewed today.",
                "%(count)d guides marked reviewed today.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


class TipInline(admin.StackedInline):
    model = Tip
    extra = 0
    fields = (("position", "title", "slug"), "body", "related_resources")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("related_resources",)
    verbose_name_plural = _("tips (in order of position)")


class PhrasePairInline(admin.TabularInline):
    model = PhrasePair
    extra = 0
    fields = ("position", "could_say", "avoid_saying", "why")
    verbose_name_plural = _("what you could say / what to avoid saying")


@admin.register(Section)
class SectionAdmin(RevertibleHistoryAdmin):
    list_display = (
        "title",
        "guide",
        "position",
        "status",
        "tip_count",
        "helpful_count",
        "not_helpful_count",
        "updated_at",
    )
    list_display_links = ("title",)
    list_editable = ("position",)
    list_filter = ("guide", "status")
    list_select_related = ("guide",)
    search_fields = ("title", "summary", "body", "tips__title")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("related_resources", "share_resource")
    readonly_fields = (*TIMESTAMPS, "preview", "share_card_preview", "curator_edits")
    inlines = (TipInline, PhrasePairInline)
    ordering = ("guide", "position")
    fieldsets = (
        (None, {"fields": ("guide", "position", "title", "slug", "status", "summary")}),
        (_("Text"), {"fields": ("body", "preview")}),
        (_("Directory resources"), {"fields": ("related_resources",)}),
        (
            _("Share card"),
            {"fields": ("share_message", "share_resource", "share_card_preview")},
        ),
        (_("Record"), {"fields": (*TIMESTAMPS, "curator_edits"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # distinct: the tips and feedback joins multiply each other's rows.
        return (
            super()
            .get_queryset(request)
            .annotate(
                _tip_count=Count("tips", distinct=True),
                _helpful=Count("feedback", filter=Q(feedback__helpful=True), distinct=True),
                _not_helpful=Count("feedback", filter=Q(feedback__helpful=False), distinct=True),
            )
        )

    @admin.display(description=_("tips"), ordering="_tip_count")
    def tip_count(self, obj: Section) -> int:
        return obj._tip_count

    @admin.display(description=_("helpful: yes"), ordering="_helpful")
    def helpful_count(self, obj: Section) -> int:
        return obj._helpful

    @admin.display(description=_("helpful: no"), ordering="_not_helpful")
    def not_helpful_count(self, obj: Section) -> int:
        return obj._not_helpful

    @admin.display(description=_("preview (as last saved)"))
    def preview(self, obj: Section) -> str:
        tips = format_html_join(
            "",
            "<h3>{}</h3>{}",
            ((tip.title, mark_safe(tip.body_html)) for tip in obj.tips.all()),  # noqa: S308
        )
        return _preview(obj.body_html + tips)

    @admin.display(description=_("share card as sent (as last saved)"))
    def share_card_preview(self, obj: Section) -> str:
        return format_html("<p>{}</p>", linebreaksbr(obj.share_text or "—"))

    @admin.display(description=_("fields edited since the seed data was loaded"))
    def curator_edits(self, obj: Section) -> str:
        return ", ".join(obj.curator_edited_fields()) or "—"


@admin.register(Reference)
class ReferenceAdmin(RevertibleHistoryAdmin):
    list_display = ("title", "publisher", "guide", "position", "accessed_on", "resource")
    list_filter = ("guide", "publisher")
    list_select_related = ("guide", "resource")
    search_fields = ("title", "publisher", "url")
    autocomplete_fields = ("organization", "resource")
    readonly_fields = TIMESTAMPS


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """Readers' feedback: read-only, so what a reader wrote is never altered."""

    list_display = ("created_at", "section", "helpful", "comment_start", "has_email")
    list_filter = ("helpful", "section__guide", "section", "created_at")
    list_select_related = ("section",)
    search_fields = ("comment",)
    date_hierarchy = "created_at"
    readonly_fields = ("section", "helpful", "comment", "email", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("comment"))
    def comment_start(self, obj: Feedback) -> str:
        return obj.comment if len(obj.comment) <= 80 else obj.comment[:79] + "…"

    @admin.display(description=_("email given"), boolean=True)
    def has_email(self, obj: Feedback) -> bool:
        return bool(obj.email)
