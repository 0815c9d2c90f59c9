"""The ally guide: structured, sourced content linked to the directory.

A ``Guide`` has ordered ``Section``s, each with ordered ``Tip``s, and a list
of ``Reference``s that link to the directory's organization or resource when
one exists. Bodies are Markdown, rendered to sanitized HTML on display
(``guide.markdown``), so nothing stored in the database reaches a page raw.

Each section also carries its helper tools: ``PhrasePair``s ("what you could
say" / "what to avoid saying") and a share card, a neutral message a reader
can send to the person they support (``guide.sharecard``).
"""

from __future__ import annotations

import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.models import PublicationStatus, Resource, SeededModel, TimeStampedModel
from guide import sharecard
from guide.markdown import render_markdown

MARKDOWN_HELP = _(
    "Markdown: a blank line starts a new paragraph; *italic*, **bold**, "
    "[link text](https://example.org), lines starting with “- ” make a list. "
    "Raw HTML is not allowed and is removed. Save, then check the preview below."
)
# Section slugs share the URL space of the guide's own pages.
RESERVED_SECTION_SLUGS = frozenset({"print", "references", "feedback"})
REVIEW_INTERVAL_MONTHS = 12


def review_cutoff(today: date | None = None) -> date:
    """The date twelve months before ``today``: reviews older than it are due."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - REVIEW_INTERVAL_MONTHS // 12)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28)


class GuideQuerySet(models.QuerySet):
    def published(self) -> GuideQuerySet:
        """Guides the public may see."""
        return self.filter(status=PublicationStatus.PUBLISHED)

    def due_for_review(self, today: date | None = None) -> GuideQuerySet:
        """Never reviewed, or last reviewed more than twelve months ago."""
        return self.filter(
            Q(last_reviewed_on__isnull=True) | Q(last_reviewed_on__lt=review_cutoff(today))
        )

    def with_contents(self) -> GuideQuerySet:
        """Everything a whole-guide page or the API shows, in a constant number of queries.

        Only published sections and published resources are included; the
        share card's resource comes with its channels for the contact line.
        """
        published_resources = Resource.objects.published().order_by("name", "id")
        return self.prefetch_related(
            Prefetch(
                "sections",
                queryset=Section.objects.published()
                .select_related("share_resource")
                .prefetch_related(
                    Prefetch(
                        "related_resources",
                        queryset=published_resources.prefetch_related("channels"),
                    ),
                    "phrase_pairs",
                    "share_resource__channels",
                    Prefetch(
                        "tips",
                        queryset=Tip.objects.prefetch_related(
                            Prefetch("related_resources", queryset=published_resources)
                        ),
                    ),
                ),
            ),
            Prefetch(
                "references",
                queryset=Reference.objects.select_related("organization", "resource"),
            ),
        )


class Guide(SeededModel, TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(
        max_length=300, help_text=_("One or two plain sentences, shown in lists and search.")
    )
    introduction = models.TextField(help_text=MARKDOWN_HELP)
    conclusion = models.TextField(blank=True, help_text=MARKDOWN_HELP)
    status = models.CharField(
        max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.DRAFT
    )
    published_on = models.DateField(null=True, blank=True)
    last_reviewed_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("When a curator last checked the whole guide against its sources."),
    )
    reviewer = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Shown publicly as who reviewed the guide (a person or a team)."),
    )

    objects = GuideQuerySet.as_manager()
    # Every change is recorded, with who made it (see directory.models on why simple-history).
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PublicationStatus.values), name="guide_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("guide:guide", kwargs={"guide": self.slug})

    @property
    def introduction_html(self) -> str:
        return render_markdown(self.introduction)

    @property
    def conclusion_html(self) -> str:
        return render_markdown(self.conclusion)

    @property
    def is_due_for_review(self) -> bool:
        return self.last_reviewed_on is None or self.last_reviewed_on < review_cutoff()

    def clean(self) -> None:
        if self.status == PublicationStatus.PUBLISHED and not self.published_on:
            self.published_on = timezone.localdate()


class SectionQuerySet(models.QuerySet):
    def published(self) -> SectionQuerySet:
        """Published sections of published guides, in reading order."""
        return self.filter(
            status=PublicationStatus.PUBLISHED, guide__status=PublicationStatus.PUBLISHED
        ).order_by("guide_id", "position", "id")


class Section(SeededModel, TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(
        default=0, help_text=_("Sections are shown in this order, lowest first.")
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    summary = models.CharField(max_length=300)
    body = models.TextField(blank=True, help_text=MARKDOWN_HELP)
    status = models.CharField(
        max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.PUBLISHED
    )
    related_resources = models.ManyToManyField(
        Resource,
        blank=True,
        related_name="guide_sections",
        help_text=_("Directory resources that help with this step; shown on the section page."),
    )
    share_message = models.TextField(
        blank=True,
        validators=[MaxLengthValidator(600)],
        help_text=_(
            "A message readers can send to the person they support. Keep the first line "
            "neutral (it shows on a locked phone): no words about mental health or crisis."
        ),
    )
    share_resource = models.ForeignKey(
        Resource,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Its contact line is added at the end of the share card."),
    )

    objects = SectionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["guide", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "slug"], name="section_unique_slug"),
            models.CheckConstraint(
                condition=Q(status__in=PublicationStatus.values), name="section_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("guide:section", kwargs={"guide": self.guide.slug, "section": self.slug})

    @property
    def body_html(self) -> str:
        return render_markdown(self.body)

    @property
    def published_share_resource(self) -> Resource | None:
        resource = self.share_resource
        return resource if resource and resource.status == PublicationStatus.PUBLISHED else None

    @cached_property
    def share_text(self) -> str:
        """The share card as sent: the curator's message, then the resource's contact line."""
        return sharecard.compose(self.share_message, self.published_share_resource)

    def clean(self) -> None:
        if self.slug in RESERVED_SECTION_SLUGS:
            raise ValidationError(
                {"slug": _("“%(slug)s” is used by a guide page; choose another.")},
                params={"slug": self.slug},
            )
        # The first line is what a lock-screen preview shows.
        if words := sharecard.sensitive_words(sharecard.first_line(self.share_message)):
            raise ValidationError(
                {
                    "share_message": _(
                        "The first line shows on a locked phone; leave out: %(words)s."
                    )
                    % {"words": ", ".join(words)}
                }
            )


class Tip(SeededModel, TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="tips")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, help_text=_("The tip's anchor on the section page."))
    body = models.TextField(help_text=MARKDOWN_HELP)
    related_resources = models.ManyToManyField(Resource, blank=True, related_name="guide_tips")

    history = HistoricalRecords()

    class Meta:
        ordering = ["section", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["section", "slug"], name="tip_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"{self.section.get_absolute_url()}#{self.slug}"

    @property
    def body_html(self) -> str:
        return render_markdown(self.body)


class PhrasePair(models.Model):
    """A "what you could say" / "what to avoid saying" pair, grounded in the section's tips."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="phrase_pairs")
    position = models.PositiveSmallIntegerField(default=0)
    could_say = models.CharField(_("what you could say"), max_length=300)
    avoid_saying = models.CharField(_("what to avoid saying"), max_length=300)
    why = models.CharField(
        max_length=300, blank=True, help_text=_("One sentence on why, in the guide's terms.")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["section", "position", "id"]

    def __str__(self) -> str:
        return self.could_say


class Reference(SeededModel, TimeStampedModel):
    """A source the guide draws on, linked to its directory entry when there is one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="references")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    url = models.URLField(_("URL"), max_length=500)
    accessed_on = models.DateField(
        null=True, blank=True, help_text=_("When the source was last read at this address.")
    )
    organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guide_references",
    )
    resource = models.ForeignKey(
        Resource,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guide_references",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["guide", "position", "id"]

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title}"

    def get_absolute_url(self) -> str:
        return f"{reverse('guide:references', kwargs={'guide': self.guide.slug})}#ref-{self.pk}"

    @property
    def published_resource(self) -> Resource | None:
        resource = self.resource
        return resource if resource and resource.status == PublicationStatus.PUBLISHED else None


class Feedback(models.Model):
    """A reader's answer to "Was this helpful?" on a section.

    The email is for curators who may want to reply; it is never shown on a
    page or returned by the API.
    """

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True, validators=[MaxLengthValidator(2000)])
    email = models.EmailField(blank=True, help_text=_("Private: only curators see it."))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "feedback"

    def __str__(self) -> str:
        return f"{self.section}: {'helpful' if self.helpful else 'not helpful'}"
