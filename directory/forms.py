"""The public's feedback forms: suggest a resource, report a problem with a listing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from directory import phones
from directory.models import Feedback, Taxonomy, TaxonomyTerm


class FeedbackForm(forms.ModelForm):
    """Shared by both forms: the private contact email and the honeypot.

    ``homepage`` is a honeypot: the field is in a ``hidden`` block that
    people never see or hear, so only a bot fills it in. The view then
    answers as if all went well and stores nothing.
    """

    homepage = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)

    contact_email_help = _(
        "Optional. Only our curators see it, to ask you a question; it is never published."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["homepage"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        self.fields["contact_email"].label = _("Your email")
        self.fields["contact_email"].help_text = self.contact_email_help
        self.fields["contact_email"].widget.attrs["autocomplete"] = "email"

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("homepage"))

    def visible_fields(self) -> list:
        return [f for f in super().visible_fields() if f.name != "homepage"]


class SuggestionForm(FeedbackForm):
    class Meta:
        model = Feedback
        fields = (
            "suggested_name",
            "suggested_organization",
            "suggested_kind",
            "suggested_url",
            "suggested_phone",
            "message",
            "contact_email",
        )
        labels = {
            "suggested_name": _("Name of the resource"),
            "suggested_organization": _("Organization that runs it"),
            "suggested_kind": _("What kind of help is it?"),
            "suggested_url": _("Website"),
            "suggested_phone": _("Phone or text number"),
            "message": _("What it offers and who it is for"),
        }
        help_texts = {
            "suggested_url": _("The page where we can check the details, e.g. https://…"),
            "suggested_phone": _("If people call or text it, e.g. 1-800-950-6264 or 741741."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["suggested_name"].required = True
        self.fields["suggested_kind"].required = True
        self.fields["suggested_kind"].queryset = TaxonomyTerm.objects.filter(
            taxonomy__code=Taxonomy.KIND
        )
        self.fields["suggested_kind"].empty_label = _("Choose one")
        self.fields["message"].required = True
        self.fields["message"].max_length = 5000
        self.fields["message"].widget.attrs["maxlength"] = 5000

    def clean_suggested_phone(self) -> str:
        value = self.cleaned_data["suggested_phone"].strip()
        if value:
            try:
                phones.normalize_number(value, text_only=True)
            except ValidationError as error:
                raise ValidationError(error.messages) from error
        return value

    def save(self, commit: bool = True) -> Feedback:
        self.instance.kind = Feedback.Kind.SUGGESTION
        return super().save(commit)


class ProblemReportForm(FeedbackForm):
    class Meta:
        model = Feedback
        fields = ("problem", "message", "contact_email")
        labels = {"problem": _("What is wrong?"), "message": _("Tell us more")}
        help_texts = {
            "message": _("For example the right number or hours, if you know them."),
        }
        widgets = {"problem": forms.RadioSelect}

    def __init__(self, *args: Any, resource: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resource = resource
        self.fields["problem"].required = True
        self.fields["problem"].choices = Feedback.Problem.choices
        self.fields["message"].max_length = 5000
        self.fields["message"].widget.attrs["maxlength"] = 5000

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("problem") == Feedback.Problem.OTHER and not data.get("message", "").strip():
            self.add_error("message", _("Tell us what is wrong."))
        return data

    def save(self, commit: bool = True) -> Feedback:
        self.instance.kind = Feedback.Kind.PROBLEM
        self.instance.resource = self.resource
        return super().save(commit)
