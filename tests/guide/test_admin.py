from __future__ import annotations

import datetime

import time_machine

from guide.models import Feedback, Guide, Section
from tests.guide.factories import FeedbackFactory, GuideFactory, SectionFactory, TipFactory


def test_the_due_for_review_filter_lists_guides_never_or_long_ago_reviewed(curator_client, db):
    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, tzinfo=datetime.UTC)):
        GuideFactory(title="Never reviewed", last_reviewed_on=None)
        GuideFactory(title="Reviewed long ago", last_reviewed_on=datetime.date(2025, 1, 2))
        GuideFactory(title="Reviewed recently", last_reviewed_on=datetime.date(2026, 9, 1))

        due = curator_client.get("/admin/guide/guide/?review=due").content.decode()
        current = curator_client.get("/admin/guide/guide/?review=current").content.decode()

    assert "Never reviewed" in due and "Reviewed long ago" in due
    assert "Reviewed recently" not in due
    assert "Reviewed recently" in current and "Never reviewed" not in current


def test_marking_a_guide_reviewed_today_takes_it_off_the_due_list(curator_client, db):
    guide = GuideFactory(last_reviewed_on=None)

    curator_client.post(
        "/admin/guide/guide/",
        {"action": "mark_reviewed_today", "_selected_action": [str(guide.pk)]},
    )

    guide.refresh_from_db()
    assert not guide.is_due_for_review
    assert not Guide.objects.due_for_review().exists()


def test_the_guide_form_has_ordered_section_and_reference_inlines(curator_client, guide_seeded):
    response = curator_client.get(f"/admin/guide/guide/{guide_seeded.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="sections-0-position"' in html
    assert 'name="references-0-position"' in html
    assert "Markdown:" in html
    assert "<p>When someone you care about" in html


def test_the_section_form_previews_its_markdown_sanitized(curator_client, db):
    section = SectionFactory(body="Some **bold** text <script>alert(1)</script>")
    TipFactory(section=section, title="A tip", body="*Gentle* words")

    response = curator_client.get(f"/admin/guide/section/{section.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html
    assert "<em>Gentle</em>" in html
    assert "<script>alert" not in html
    assert 'name="tips-0-position"' in html
    assert 'name="phrase_pairs-TOTAL_FORMS"' in html


def test_curators_reorder_sections_from_the_list(curator_client, db):
    guide = GuideFactory()
    first = SectionFactory(guide=guide, position=0, title="First")
    second = SectionFactory(guide=guide, position=1, title="Second")

    response = curator_client.post(
        "/admin/guide/section/",
        {
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "2",
            "form-0-id": str(first.pk),
            "form-0-position": "5",
            "form-1-id": str(second.pk),
            "form-1-position": "1",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    assert list(Section.objects.published().values_list("title", flat=True)) == [
        "Second",
        "First",
    ]


def test_the_section_list_counts_feedback_per_section(curator_client, db):
    section = SectionFactory(title="Counted section")
    TipFactory.create_batch(2, section=section)
    FeedbackFactory.create_batch(3, section=section, helpful=True)
    FeedbackFactory(section=section, helpful=False)

    response = curator_client.get("/admin/guide/section/")

    row = response.content.decode().split("Counted section", 1)[1].split("</tr>", 1)[0]
    assert '<td class="field-tip_count">2</td>' in row
    assert '<td class="field-helpful_count">3</td>' in row
    assert '<td class="field-not_helpful_count">1</td>' in row


def test_curators_read_feedback_but_cannot_add_or_alter_it(curator_client, db):
    feedback = FeedbackFactory(comment="Useful, thanks", email="reader@example.org")

    listing = curator_client.get("/admin/guide/feedback/")
    detail = curator_client.get(f"/admin/guide/feedback/{feedback.pk}/change/")
    add = curator_client.get("/admin/guide/feedback/add/")

    assert "Useful, thanks" in listing.content.decode()
    assert "reader@example.org" in detail.content.decode()
    assert add.status_code == 403
    curator_client.post(
        f"/admin/guide/feedback/{feedback.pk}/change/",
        {"comment": "Altered", "helpful": "on"},
    )
    assert Feedback.objects.get().comment == "Useful, thanks"


def test_admin_lists_load(curator_client, guide_seeded):
    for url in (
        "/admin/guide/guide/",
        "/admin/guide/section/",
        "/admin/guide/reference/",
        "/admin/guide/feedback/",
        f"/admin/guide/reference/{guide_seeded.references.first().pk}/change/",
    ):
        assert curator_client.get(url).status_code == 200, url
