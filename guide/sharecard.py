"""The share card: a neutral message a reader can send to the person they support.

Messages often arrive on a locked phone, where the first line is shown to
anyone nearby. So the first line must not reveal that the message is about
mental health; the resource's contact line goes at the end, after the
curator's words. ``sensitive_words`` is the check curators' edits go through
(``Section.clean``) and the tests pin.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from directory.models import Resource

# Stems of words that would disclose the subject on a lock screen.
SENSITIVE_STEMS = (
    r"mental\w*",
    r"suicid\w*",
    r"crisis",
    r"crises",
    r"depress\w*",
    r"anxi\w*",
    r"panic\w*",
    r"therap\w*",
    r"psych\w*",
    r"counsel\w*",
    r"diagnos\w*",
    r"disorder\w*",
    r"ill(ness)?",
    r"medicat\w*",
    r"treatment\w*",
    r"overdos\w*",
    r"trauma\w*",
    r"ptsd",
    r"bipolar",
    r"addict\w*",
    r"substance\w*",
    r"rehab\w*",
    r"self[- ]?harm\w*",
    r"hotline\w*",
    r"helpline\w*",
    r"lifeline\w*",
    r"988",
    r"nami",
    r"samhsa",
)
_SENSITIVE = re.compile(r"\b(" + "|".join(SENSITIVE_STEMS) + r")\b", re.IGNORECASE)


def first_line(text: str) -> str:
    """The line a lock-screen preview shows: the first line that is not blank."""
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def sensitive_words(text: str) -> list[str]:
    """The words in ``text`` that would disclose a mental-health subject."""
    return sorted({match.group(0).lower() for match in _SENSITIVE.finditer(text)})


def contact_line(resource: Resource) -> str:
    """How to reach ``resource``, from its stored channels: "Name: call …, text … to …. URL"."""
    from directory.models import ContactChannel

    ways = []
    for channel in resource.channels.all():
        if channel.kind == ContactChannel.Kind.PHONE:
            ways.append(f"call {channel.display_value}")
        elif channel.kind == ContactChannel.Kind.TEXT:
            keyword = f"“{channel.keyword}” " if channel.keyword else ""
            ways.append(f"text {keyword}to {channel.display_value}")
        if len(ways) == 2:
            break
    line = resource.name
    if ways:
        line += ": " + " or ".join(ways)
    if resource.url:
        line += f" — {resource.url}"
    return line


def compose(message: str, resource: Resource | None) -> str:
    """The full share text: the message, then the resource's contact line.

    Without a message there is no card: a contact line alone would put the
    resource's name, often a disclosing one, on the first line.
    """
    text = message.strip()
    if text and resource is not None:
        text = f"{text}\n\n{contact_line(resource)}"
    return text


def sms_href(text: str) -> str:
    # "sms:?&body=" opens a new message with the body filled in on both iOS
    # and Android; the reader picks the recipient.
    return "sms:?&body=" + quote(text, safe="")


def mailto_href(text: str) -> str:
    return f"mailto:?subject={quote(first_line(text), safe='')}&body={quote(text, safe='')}"
