"""Posting admin change forms in tests as a browser would: every field as shown."""

from __future__ import annotations

import datetime
from typing import Any

from django.forms import BaseForm


def _form_values(form: BaseForm) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        key = form.add_prefix(name)
        if value is None:
            continue
        if value is True:
            data[key] = "on"
        elif value is False:
            continue
        elif isinstance(value, (list, tuple)):
            data[key] = [str(getattr(v, "pk", v)) for v in value]
        elif isinstance(value, (datetime.date, datetime.time)):
            data[key] = value.isoformat()
        else:
            data[key] = str(getattr(value, "pk", value))
    return data


def change_form_data(response: Any) -> dict[str, Any]:
    """The POST data of an admin add/change page, with its inline formsets."""
    data = _form_values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_values(formset.management_form))
        for form in formset.initial_forms:
            data.update(_form_values(form))
    return data
