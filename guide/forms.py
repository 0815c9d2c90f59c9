from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guide.models import Feedback


class PrivateEmailInput(forms.EmailInput):
    """An email input that never writes the address back into the page.

    When the form is shown again with an error, the reader types the address
    again; this way an email address never appears in any page's HTML.
    """

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict:
        return super().get_context(name, None, attrs)


class FeedbackForm(forms.ModelForm):
    helpful = forms.TypedChoiceField(
        label=_("Was this helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose yes or no.")},
    )

    class Meta:
        model = Feedback
        fields = ["helpful", "comment", "email"]
        labels = {
            "comment": _("Anything we could improve? (optional)"),
            "email": _("Your email, if you would like a reply (optional)"),
        }
        help_texts = {
            "comment": _("Please don't include names or personal details."),
            "email": _("Only our editors see it. It is never published."),
        }
        widgets = {
            "comment": forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
            "email": PrivateEmailInput(attrs={"autocomplete": "email"}),
        }
