"""Every change to guide content is recorded and can be reverted from the admin."""

from __future__ import annotations

from django.urls import reverse

from directory.models import AuditEvent
from tests.guide.factories import PhrasePairFactory, ReferenceFactory, SectionFactory, TipFactory


def test_changes_to_guide_content_are_recorded_with_who_made_them(editor_member):
    for obj in (SectionFactory(), TipFactory(), PhrasePairFactory(), ReferenceFactory()):
        obj._history_user = editor_member
        obj.save()
        assert obj.history.count() == 2
        assert obj.history.first().history_user == editor_member


def test_a_section_reverts_from_its_history_page_and_the_revert_is_recorded(admin_client):
    section = SectionFactory(body="The first wording.")
    first = section.history.first()
    section.body = "A later wording."
    section.save()

    history = admin_client.get(reverse("admin:guide_section_history", args=[section.pk]))
    assert "A later wording." in history.content.decode()
    admin_client.post(
        reverse("admin:guide_section_history_revert", args=[section.pk, first.history_id])
    )
    section.refresh_from_db()
    assert section.body == "The first wording."
    assert section.history.count() == 3
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVERTED).exists()
