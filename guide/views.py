"""Public pages of the ally guide.

Every page that shows the guide's content loads it with
``GuideQuerySet.with_contents()``: a constant number of queries, whatever
the guide's length. The section page also serves the feedback form; showing
or posting it sets no cookie (``config.public_forms`` explains how the form
is protected without a CSRF cookie) and stores nothing about the reader but
what they typed.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from config.client_ip import client_ip
from config.public_forms import public_form
from guide import jsonld
from guide.forms import FeedbackForm
from guide.models import Guide, Section
from guide.serializers import GuideSerializer


def index(request: HttpRequest) -> HttpResponse:
    guides = Guide.objects.published().prefetch_related(
        Prefetch("sections", queryset=Section.objects.published())
    )
    return render(request, "guide/index.html", {"guides": guides})


def _guide_page(request: HttpRequest, slug: str) -> tuple[Guide, dict]:
    """The published guide with all its contents, and its serialized form."""
    guide = get_object_or_404(Guide.objects.published().with_contents(), slug=slug)
    return guide, GuideSerializer(guide, context={"request": request}).data


def _whole_guide(request: HttpRequest, slug: str, template: str) -> HttpResponse:
    guide, data = _guide_page(request, slug)
    return render(request, template, {"guide": guide, "json_ld": jsonld.guide_article(data)})


def guide_detail(request: HttpRequest, guide: str) -> HttpResponse:
    return _whole_guide(request, guide, "guide/guide_detail.html")


def guide_print(request: HttpRequest, guide: str) -> HttpResponse:
    return _whole_guide(request, guide, "guide/print.html")


def references(request: HttpRequest, guide: str) -> HttpResponse:
    return _whole_guide(request, guide, "guide/references.html")


def _section_page(
    request: HttpRequest,
    guide_slug: str,
    section_slug: str,
    *,
    form: FeedbackForm | None = None,
    status: int = 200,
) -> HttpResponse:
    guide, data = _guide_page(request, guide_slug)
    sections = list(guide.sections.all())
    here = next((i for i, s in enumerate(sections) if s.slug == section_slug), None)
    if here is None:
        raise Http404("No such section in this guide.")
    section = sections[here]
    return render(
        request,
        "guide/section_detail.html",
        {
            "guide": guide,
            "section": section,
            "sections": sections,
            "previous": sections[here - 1] if here > 0 else None,
            "next": sections[here + 1] if here + 1 < len(sections) else None,
            "form": form or FeedbackForm(),
            "thanks": request.GET.get("feedback") == "thanks",
            "json_ld": jsonld.section_article(data, data["sections"][here]),
        },
        status=status,
    )


def section_detail(request: HttpRequest, guide: str, section: str) -> HttpResponse:
    return _section_page(request, guide, section)


def _feedback_rate_limited(request: HttpRequest) -> bool:
    # Counted per client address (behind trusted proxies, see
    # config/client_ip.py); django-ratelimit stores only a hash of it.
    return is_ratelimited(
        request,
        group="guide:feedback",
        key=lambda group, request: client_ip(request),
        rate=settings.GUIDE_FEEDBACK_RATE,
        method="POST",
        increment=True,
    )


@public_form
@require_POST
def section_feedback(request: HttpRequest, guide: str, section: str) -> HttpResponse:
    section_obj = get_object_or_404(
        Section.objects.published().select_related("guide"), guide__slug=guide, slug=section
    )
    if _feedback_rate_limited(request):
        return render(request, "guide/feedback_limited.html", {"section": section_obj}, status=429)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return _section_page(request, guide, section, form=form, status=400)
    feedback = form.save(commit=False)
    feedback.section = section_obj
    feedback.save()
    # 303: the browser follows with a GET, so a reload does not post again.
    response = HttpResponseRedirect(
        f"{section_obj.get_absolute_url()}?feedback=thanks#section-feedback"
    )
    response.status_code = 303
    return response
