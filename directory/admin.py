"""The curators' admin for the directory."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from directory import services
from directory.hsds_export import hsds_export
from directory.hsds_import import ImportFileError, hsds_import
from directory.models import (
    AuditEvent,
    ContactChannel,
    DueForVerification,
    Feedback,
    Language,
    LinkCheck,
    Location,
    Organization,
    PublicationStatus,
    Resource,
    ReviewState,
    Schedule,
    SearchSynonym,
    ServiceArea,
    Taxonomy,
    TaxonomyTerm,
    VerificationMethod,
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


class ReviewFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("submitted", _("Awaiting review")),
            ("returned", _("Returned with comments")),
            ("changes", _("Draft changes of live listings")),
            ("live", _("Live listings only")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "submitted":
            return queryset.awaiting_review()
        if self.value() == "returned":
            return queryset.filter(
                status=PublicationStatus.DRAFT, review_state=ReviewState.RETURNED
            )
        if self.value() == "changes":
            return queryset.filter(draft_of__isnull=False)
        if self.value() == "live":
            return queryset.live()
        return queryset


class RevertibleHistoryAdmin(SimpleHistoryAdmin):
    """History with a readable diff per entry and a one-click revert button.

    The revert posts to ``history_revert_view`` and goes through
    ``services.history_revert``, so it is itself a history entry and an
    audit event. Reverting needs the right to change the object.
    """

    object_history_list_template = "admin/directory/history_list.html"

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/history/<int:history_id>/revert/",
                self.admin_site.admin_view(require_POST(self.history_revert_view)),
                name="{}_{}_history_revert".format(*info),
            ),
            *super().get_urls(),
        ]

    def history_revert_view(
        self, request: HttpRequest, object_id: str, history_id: int
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        # A history row's own pk is history_id; the object's pk is a plain field.
        pk_name = self.opts.pk.attname
        record = get_object_or_404(
            self.model.history.filter(**{pk_name: obj.pk}), history_id=history_id
        )
        try:
            services.history_revert(record=record, user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request,
                _("Reverted “%(obj)s” to the version of %(date)s.")
                % {"obj": obj, "date": timezone.localtime(record.history_date)},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[obj.pk])
        )


class HSDSImportForm(forms.Form):
    file = forms.FileField(
        label=_("HSDS file"),
        help_text=_(
            "JSON (a service or organization, a list of them, or an HSDS page) or the CSV "
            "tabular form as a .zip."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check and report, change nothing"), required=False, initial=True
    )

    # The whole file is read and checked in memory; a directory's worth of
    # HSDS is a few megabytes.
    max_size = 50 * 1024 * 1024

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.max_size:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB; import it in parts or with the command.")
                % {"mb": self.max_size // (1024 * 1024)}
            )
        return upload


class CurationActionForm(ActionForm):
    """The admin's action bar, with the note some curation actions take."""

    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        help_text=_("How it was verified, or why feedback is rejected."),
    )


class VerifyActions:
    """“Verified today” actions, one per way of verifying."""

    def has_verify_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("directory.verify_resource")

    def _verify(self, request: HttpRequest, queryset: QuerySet, method: str) -> None:
        note = request.POST.get("note", "")
        resources = list(queryset)
        for resource in resources:
            services.resource_verify(
                resource=resource, user=request.user, method=method, note=note
            )
        self.message_user(
            request,
            ngettext(
                "%(count)d resource marked verified today (%(how)s).",
                "%(count)d resources marked verified today (%(how)s).",
                len(resources),
            )
            % {"count": len(resources), "how": VerificationMethod(method).label.lower()},
            messages.SUCCESS,
        )

    @admin.action(description=_("Verified today: called the service"), permissions=["verify"])
    def verified_by_calling(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._verify(request, queryset, VerificationMethod.CALLED)

    @admin.action(description=_("Verified today: checked the website"), permissions=["verify"])
    def verified_on_website(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._verify(request, queryset, VerificationMethod.WEBSITE)

    @admin.action(description=_("Verified today: organization confirmed"), permissions=["verify"])
    def verified_by_organization(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._verify(request, queryset, VerificationMethod.ORGANIZATION)


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
class ResourceAdmin(VerifyActions, RevertibleHistoryAdmin):
    """Listings and their drafts.

    Curators create drafts and propose changes to published listings through
    a draft copy (“Propose a change”); only editors, who hold
    ``directory.publish_resource``, edit live listings, publish or return
    drafts, and archive.
    """

    list_display = (
        "name",
        "organization",
        "kind",
        "urgency",
        "status",
        "review",
        "open_24_7",
        "needs_verification",
        "last_verified_on",
        "updated_at",
    )
    list_display_links = ("name",)
    list_filter = (
        "status",
        ReviewFilter,
        KindFilter,
        TopicFilter,
        AudienceFilter,
        "urgency",
        "cost",
        "needs_verification",
        VerificationAgeFilter,
        "open_24_7",
    )
    list_select_related = ("organization", "kind", "draft_of")
    search_fields = ("name", "alternate_name", "summary", "organization__name", "channels__value")
    search_help_text = _("Search by name, summary, organization or phone number (digits).")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("organization", "kind", "topics", "audiences", "languages")
    readonly_fields = (
        *TIMESTAMPS,
        "last_verified_by",
        "last_verified_how",
        "curator_edits",
        "draft_of_link",
        "review_state",
        "review_comment",
        "changes_from_live",
        "link_status",
    )
    date_hierarchy = "updated_at"
    list_per_page = 50
    inlines = (ContactChannelInline, ScheduleInline, ServiceAreaInline, LocationInline)
    actions = (
        "publish",
        "archive",
        "verified_by_calling",
        "verified_on_website",
        "verified_by_organization",
        "export_json",
        "export_csv",
    )
    action_form = CurationActionForm
    change_form_template = "admin/directory/resource/change_form.html"
    change_list_template = "admin/directory/resource/change_list.html"
    history_list_display = ("status",)
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
                    ("last_verified_on", "last_verified_by", "last_verified_how"),
                    "verification_source",
                    "link_status",
                    "internal_notes",
                )
            },
        ),
        (_("Record"), {"fields": (*TIMESTAMPS, "curator_edits"), "classes": ("collapse",)}),
    )
    review_fieldset = (
        _("Review"),
        {"fields": ("draft_of_link", "review_state", "review_comment", "changes_from_live")},
    )

    # --- Who may do what ---------------------------------------------------

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("directory.publish_resource")

    def has_change_permission(self, request: HttpRequest, obj: Resource | None = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        # A live listing that the public may see (or saw) changes only through
        # a reviewed draft, unless the user is an editor.
        if obj is not None and obj.draft_of_id is None and obj.status != PublicationStatus.DRAFT:
            return self.has_publish_permission(request)
        # A draft handed in for review is the editors' until they return it.
        if obj is not None and obj.review_state == ReviewState.SUBMITTED:
            return self.has_publish_permission(request)
        return True

    def has_delete_permission(self, request: HttpRequest, obj: Resource | None = None) -> bool:
        # Whoever may edit a draft change may also discard it.
        if obj is not None and obj.draft_of_id is not None:
            return self.has_change_permission(request, obj)
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Resource | None = None) -> tuple:
        fields = tuple(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            fields += ("status",)
        if obj is not None and obj.draft_of_id is not None:
            fields += ("slug",)
        return fields

    def get_prepopulated_fields(self, request: HttpRequest, obj: Resource | None = None) -> dict:
        if "slug" in self.get_readonly_fields(request, obj):
            return {}
        return super().get_prepopulated_fields(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Resource | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.status == PublicationStatus.DRAFT:
            return (self.review_fieldset, *fieldsets)
        return fieldsets

    def save_model(self, request: HttpRequest, obj: Resource, form: Any, change: bool) -> None:
        if not change and not self.has_publish_permission(request):
            obj.status = PublicationStatus.DRAFT
        if "last_verified_on" in form.changed_data and obj.last_verified_on:
            obj.last_verified_by = request.user
        super().save_model(request, obj, form, change)

    # --- Display -----------------------------------------------------------

    @admin.display(description=_("fields edited since the seed data was loaded"))
    def curator_edits(self, obj: Resource) -> str:
        return ", ".join(obj.curator_edited_fields()) or "—"

    @admin.display(description=_("review"))
    def review(self, obj: Resource) -> str:
        if obj.status != PublicationStatus.DRAFT:
            return "—"
        state = obj.get_review_state_display()
        if obj.draft_of_id:
            return _("Change of “%(name)s”: %(state)s") % {"name": obj.draft_of, "state": state}
        return state

    @admin.display(description=_("change of"))
    def draft_of_link(self, obj: Resource) -> str:
        if obj.draft_of_id is None:
            return _("A new listing")
        url = reverse("admin:directory_resource_change", args=[obj.draft_of_id])
        return format_html('<a href="{}">{}</a>', url, obj.draft_of)

    @admin.display(description=_("what publishing changes"))
    def changes_from_live(self, obj: Resource) -> str:
        if obj.draft_of_id is None:
            return "—"
        changes = services.resource_diff(draft=obj)
        if not changes:
            return _("Nothing yet: this draft matches the live listing.")
        rows = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td><del>{}</del></td><td><ins>{}</ins></td></tr>",
            ((c.label, c.old, c.new) for c in changes),
        )
        return format_html(
            "<table><thead><tr><th scope='col'>{}</th><th scope='col'>{}</th>"
            "<th scope='col'>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("Field"),
            _("Live now"),
            _("After publishing"),
            rows,
        )

    @admin.display(description=_("link checks"))
    def link_status(self, obj: Resource) -> str:
        checks = obj.link_checks()
        if not checks:
            return _("Not checked yet.")
        return format_html_join(
            "",
            "<div>{}: {} ({})</div>",
            ((c.url, c.get_result_display(), c.checked_at.date()) for c in checks),
        )

    # --- Review actions (buttons on the change form) -------------------------

    def get_urls(self) -> list:
        def view(name: str, func: Any) -> Any:
            return path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(require_POST(func)),
                name=f"directory_resource_{name.replace('-', '_')}",
            )

        return [
            path(
                "import-hsds/",
                self.admin_site.admin_view(self.import_hsds_view),
                name="directory_resource_import_hsds",
            ),
            path(
                "export-hsds/<str:format>/",
                self.admin_site.admin_view(self.export_hsds_view),
                name="directory_resource_export_hsds",
            ),
            view("propose-change", self.propose_change_view),
            view("submit", self.submit_view),
            view("publish", self.publish_view),
            view("return", self.return_view),
            *super().get_urls(),
        ]

    def _object(self, request: HttpRequest, object_id: str) -> Resource:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        return obj

    def _done(self, request: HttpRequest, obj: Resource, message: str) -> HttpResponse:
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:directory_resource_change", args=[obj.pk]))

    def _refuse(self, request: HttpRequest, obj: Resource, error: Exception) -> HttpResponse:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        self.message_user(request, text, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:directory_resource_change", args=[obj.pk]))

    def propose_change_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._object(request, object_id)
        if not super().has_change_permission(request, obj):
            raise PermissionDenied
        try:
            draft = services.resource_change_start(resource=obj, user=request.user)
        except services.CurationError as error:
            return self._refuse(request, obj, error)
        return self._done(
            request,
            draft,
            _("Edit this draft, then submit it for review. The live listing is unchanged."),
        )

    def submit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._object(request, object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        try:
            services.resource_submit(draft=obj, user=request.user)
        except services.CurationError as error:
            return self._refuse(request, obj, error)
        return self._done(request, obj, _("Submitted for review."))

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._object(request, object_id)
        if not self.has_publish_permission(request):
            raise PermissionDenied
        try:
            live = services.resource_publish(draft=obj, user=request.user)
        except (services.CurationError, ValidationError) as error:
            return self._refuse(request, obj, error)
        return self._done(request, live, _("Published. The public listing is updated."))

    def return_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._object(request, object_id)
        if not self.has_publish_permission(request):
            raise PermissionDenied
        try:
            services.resource_return(
                draft=obj, user=request.user, comment=request.POST.get("comment", "")
            )
        except services.CurationError as error:
            return self._refuse(request, obj, error)
        return self._done(request, obj, _("Returned to the curators with your comment."))

    def render_change_form(self, request: HttpRequest, context: dict, *args: Any, **kwargs: Any):
        obj = context.get("original")
        context["can_publish"] = self.has_publish_permission(request)
        context["can_propose"] = (
            obj is not None
            and obj.draft_of_id is None
            and obj.status != PublicationStatus.DRAFT
            and super().has_change_permission(request, obj)
        )
        context["open_draft"] = (
            obj.draft_changes.first() if obj is not None and obj.draft_of_id is None else None
        )
        return super().render_change_form(request, context, *args, **kwargs)

    # --- HSDS import and export ------------------------------------------------

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("directory.import_directory")

    def import_hsds_view(self, request: HttpRequest) -> HttpResponse:
        """Upload an HSDS file; a dry run first, then the real import."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = HSDSImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = hsds_import(
                    data=upload.read(),
                    filename=upload.name,
                    dry_run=form.cleaned_data["dry_run"],
                    user=request.user,
                )
            except ImportFileError as error:
                form.add_error("file", str(error))
            else:
                if report.committed:
                    self.message_user(request, _("Imported."), messages.SUCCESS)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import Open Referral HSDS data"),
            "form": form,
            "report": report,
        }
        status = 400 if form.errors or (report and report.errors) else 200
        return TemplateResponse(
            request, "admin/directory/resource/import_hsds.html", context, status=status
        )

    def export_hsds_view(self, request: HttpRequest, format: str) -> HttpResponse:
        """The whole directory as an HSDS JSON file or a zip of CSV tables."""
        if not self.has_view_permission(request) or format not in ("json", "csv"):
            raise PermissionDenied
        return self._export_response(hsds_export(format=format), format)

    @staticmethod
    def _export_response(data: bytes, format: str) -> HttpResponse:
        stamp = timezone.localdate().isoformat()
        content_type = "application/zip" if format == "csv" else "application/json"
        extension = "zip" if format == "csv" else "json"
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="ally-directory-hsds-{stamp}.{extension}"'
        )
        return response

    @admin.action(description=_("Export selected as HSDS JSON"), permissions=["view"])
    def export_json(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export_response(hsds_export(format="json", resources=queryset), "json")

    @admin.action(description=_("Export selected as HSDS CSV (zip)"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export_response(hsds_export(format="csv", resources=queryset), "csv")

    # --- Bulk actions --------------------------------------------------------

    @admin.action(description=_("Publish selected drafts"), permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        published, refused = 0, []
        for draft in queryset.filter(status=PublicationStatus.DRAFT):
            try:
                services.resource_publish(draft=draft, user=request.user)
            except (services.CurationError, ValidationError) as error:
                refused.append(f"{draft}: {error}")
            else:
                published += 1
        self.message_user(
            request,
            ngettext("%(count)d resource published.", "%(count)d resources published.", published)
            % {"count": published},
            messages.SUCCESS,
        )
        for text in refused:
            self.message_user(request, text, messages.ERROR)

    @admin.action(description=_("Archive selected resources"), permissions=["publish"])
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        resources = list(queryset.live().exclude(status=PublicationStatus.ARCHIVED))
        for resource in resources:
            services.resource_archive(resource=resource, user=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d resource archived.", "%(count)d resources archived.", len(resources)
            )
            % {"count": len(resources)},
            messages.SUCCESS,
        )


@admin.register(DueForVerification)
class VerificationQueueAdmin(VerifyActions, admin.ModelAdmin):
    """Published listings due for re-verification, most urgent first
    (see ``ResourceQuerySet.verification_queue``)."""

    list_display = (
        "listing",
        "urgency",
        "reasons",
        "last_verified_on",
        "last_verified_by",
        "last_verified_how",
        "view_count",
    )
    list_display_links = None
    list_select_related = ("organization", "last_verified_by")
    list_filter = ("urgency", "needs_verification")
    search_fields = ("name", "organization__name")
    actions = ("verified_by_calling", "verified_on_website", "verified_by_organization")
    action_form = CurationActionForm

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return DueForVerification.objects.verification_queue()

    def get_ordering(self, request: HttpRequest) -> list:
        # The queue's own order; the admin would otherwise re-sort by name.
        return list(DueForVerification.objects.verification_queue().query.order_by)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("directory.view_resource")

    @admin.display(description=_("listing"), ordering="name")
    def listing(self, obj: Resource) -> str:
        url = reverse("admin:directory_resource_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a> ({})', url, obj.name, obj.organization)

    @admin.display(description=_("why it is due"))
    def reasons(self, obj: Resource) -> str:
        reasons = []
        if obj.needs_verification:
            reasons.append(_("flagged"))
        if obj.open_report_count:
            reasons.append(
                ngettext("%(n)d open report", "%(n)d open reports", obj.open_report_count)
                % {"n": obj.open_report_count}
            )
        if obj.last_verified_on is None:
            reasons.append(_("never verified"))
        elif obj.is_stale:
            reasons.append(_("due since %(date)s") % {"date": obj.verification_due_on})
        if not reasons:
            reasons.append(_("link broken or moved"))
        return ", ".join(str(r) for r in reasons)


@admin.register(Organization)
class OrganizationAdmin(RevertibleHistoryAdmin):
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
class ContactChannelAdmin(RevertibleHistoryAdmin):
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
class LocationAdmin(RevertibleHistoryAdmin):
    list_display = ("__str__", "resource", "city", "state", "postal_code", "has_coordinates")
    list_filter = ("state",)
    list_select_related = ("resource",)
    search_fields = ("name", "address_1", "city", "postal_code", "resource__name")
    autocomplete_fields = ("resource",)

    @admin.display(description=_("on the map"), boolean=True)
    def has_coordinates(self, obj: Location) -> bool:
        return obj.latitude is not None


@admin.register(ServiceArea)
class ServiceAreaAdmin(RevertibleHistoryAdmin):
    list_display = ("__str__", "scope", "resource")
    list_filter = ("scope", "state")
    list_select_related = ("resource",)
    search_fields = ("state", "name", "postal_code", "resource__name")
    autocomplete_fields = ("resource",)


@admin.register(Schedule)
class ScheduleAdmin(RevertibleHistoryAdmin):
    list_display = ("resource", "weekday", "opens_at", "closes_at")
    list_filter = ("weekday",)
    list_select_related = ("resource",)
    search_fields = ("resource__name",)
    autocomplete_fields = ("resource",)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """The moderation queue for public suggestions and problem reports."""

    list_display = ("__str__", "kind", "problem", "status", "created_at", "has_contact")
    list_filter = ("status", "kind", "problem")
    list_select_related = ("resource",)
    search_fields = ("message", "suggested_name", "suggested_organization", "resource__name")
    date_hierarchy = "created_at"
    actions = ("accept", "reject", "mark_spam")
    action_form = CurationActionForm
    autocomplete_fields = ("suggested_kind",)
    fields = (
        "kind",
        "resource",
        "problem",
        "message",
        "suggested_name",
        "suggested_organization",
        "suggested_url",
        "suggested_phone",
        "suggested_kind",
        "contact_email",
        "status",
        "status_reason",
        "handled_by",
        "handled_at",
        "draft",
        "created_at",
    )
    # Public words are evidence: curators read them, never rewrite them. Only
    # the kind of a suggestion may be set, since accepting it needs one.
    readonly_fields = tuple(f for f in fields if f != "suggested_kind")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    @admin.display(description=_("contact given"), boolean=True)
    def has_contact(self, obj: Feedback) -> bool:
        return bool(obj.contact_email)

    def _each_open(self, request: HttpRequest, queryset: QuerySet, act: Any) -> int:
        done = 0
        for feedback in queryset.filter(status=Feedback.Status.OPEN).select_related("resource"):
            try:
                act(feedback)
            except services.CurationError as error:
                self.message_user(request, f"{feedback}: {error}", messages.ERROR)
                continue
            done += 1
        return done

    @admin.action(description=_("Accept (open a draft or draft change)"), permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        drafts: list[Resource] = []
        done = self._each_open(
            request,
            queryset,
            lambda f: drafts.append(services.feedback_accept(feedback=f, user=request.user)),
        )
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d accepted; edit the draft it opened.",
                    "%(count)d accepted; edit the drafts they opened.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )
        if len(drafts) == 1:
            return HttpResponseRedirect(
                reverse("admin:directory_resource_change", args=[drafts[0].pk])
            )
        return None

    @admin.action(description=_("Reject (give the reason as the note)"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        reason = request.POST.get("note", "")
        done = self._each_open(
            request,
            queryset,
            lambda f: services.feedback_reject(feedback=f, user=request.user, reason=reason),
        )
        if done:
            self.message_user(
                request,
                ngettext("%(count)d rejected.", "%(count)d rejected.", done) % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Mark as spam"), permissions=["change"])
    def mark_spam(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = self._each_open(
            request, queryset, lambda f: services.feedback_mark_spam(feedback=f, user=request.user)
        )
        self.message_user(
            request,
            ngettext("%(count)d marked as spam.", "%(count)d marked as spam.", done)
            % {"count": done},
            messages.SUCCESS,
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Who published, returned, verified, reverted, imported and moderated what."""

    list_display = ("at", "actor", "action", "object_repr", "resource")
    list_filter = ("action", "actor")
    list_select_related = ("actor", "resource")
    search_fields = ("object_repr", "actor__username")
    date_hierarchy = "at"


@admin.register(LinkCheck)
class LinkCheckAdmin(ReadOnlyAdmin):
    """Results of ``manage.py check_links``; broken and moved links also put
    their listings in the verification queue."""

    list_display = ("url", "result", "status_code", "final_url", "failures", "checked_at")
    list_filter = ("result",)
    search_fields = ("url", "final_url")


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    """Curated synonyms: what people type, and what search also looks for."""

    list_display = ("term", "expansions", "updated_at")
    search_fields = ("term", "expansions")
    readonly_fields = ("updated_at",)


admin.site.site_header = _("Ally Directory curation")
admin.site.site_title = _("Ally Directory admin")
admin.site.index_title = _("Keep listings accurate and current")
