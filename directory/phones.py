"""Normalizing and formatting the numbers people call or text.

Numbers are stored as digits only, so that search, de-duplication and
``tel:``/``sms:`` links never depend on how a curator typed them, and are
formatted for people when shown. Three shapes exist in US help lines:

- N11 service codes (``988``, ``211``): three digits, second and third ``1``
  except 988, which the FCC assigned as the crisis line.
- SMS short codes (``741741``, ``62640``, ``838255``): five or six digits,
  text only.
- NANP numbers (``18009506264``): stored with the country code 1.

``phonenumbers`` (Google's libphonenumber) validates NANP numbers; it has no
notion of US short codes, so those are checked by shape here.
"""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError

_NON_DIGITS = re.compile(r"\D")
# Letters on a phone keypad, for vanity numbers like 1-800-950-NAMI.
_KEYPAD = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "22233344455566677778889999",
)
SERVICE_CODES = frozenset({"211", "311", "411", "511", "611", "711", "811", "911", "988"})
# N11 codes that take text messages: 988 everywhere, 911 where text-to-911
# is deployed. The others (211 included) are voice only.
TEXTABLE_SERVICE_CODES = frozenset({"911", "988"})


def normalize_number(raw: str, *, text_only: bool = False) -> str:
    """Return the digits to store for ``raw``, or raise ``ValidationError``.

    ``text_only`` allows SMS short codes, which cannot be called.
    """
    value = raw.strip().upper()
    if not value:
        raise ValidationError("Enter a phone number.", code="required")
    if re.search(r"[^0-9A-Z\s().+\-]", value):
        raise ValidationError(
            "A phone number may contain only digits, letters, spaces, ( ) . + and -.",
            code="invalid_characters",
        )
    digits = _NON_DIGITS.sub("", value.translate(_KEYPAD))
    if digits in SERVICE_CODES:
        if text_only and digits not in TEXTABLE_SERVICE_CODES:
            raise ValidationError(
                "%(code)s cannot receive text messages; only 988 and 911 can.",
                code="service_code_not_textable",
                params={"code": digits},
            )
        return digits
    if len(digits) in (5, 6) and not value.startswith("+"):
        if text_only:
            return digits
        raise ValidationError(
            "Five- and six-digit short codes can only be texted; use a text channel.",
            code="short_code_not_callable",
        )
    if len(digits) == 10:
        digits = "1" + digits
    if len(digits) != 11 or not digits.startswith("1"):
        raise ValidationError(
            "Enter a US or Canadian number with area code (e.g. 1-800-950-6264), "
            "a three-digit service code such as 988, or a text short code.",
            code="invalid_shape",
        )
    parsed = phonenumbers.parse("+" + digits, None)
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            "%(number)s is not a valid North American number.",
            code="invalid_number",
            params={"number": raw},
        )
    return digits


def check_vanity(vanity: str, digits: str) -> None:
    """Raise ``ValidationError`` unless ``vanity`` (1-800-950-NAMI) dials ``digits``.

    A vanity spelling may carry extra letters past the last digit dialled
    (1-800-FLOWERS-X), so the stored number must be a prefix of it.
    """
    if not vanity.strip():
        return
    dialled = _NON_DIGITS.sub("", vanity.upper().translate(_KEYPAD))
    if len(digits) == 11 and len(dialled) >= 10 and not dialled.startswith("1"):
        dialled = "1" + dialled
    if not dialled.startswith(digits):
        raise ValidationError(
            "The advertised form %(vanity)s dials %(dialled)s, not %(number)s.",
            code="vanity_mismatch",
            params={
                "vanity": vanity,
                "dialled": format_number(dialled),
                "number": format_number(digits),
            },
        )


def format_number(digits: str) -> str:
    """Format stored digits for display: ``1-800-950-6264``, ``988``, ``741741``."""
    if len(digits) == 11 and digits.startswith("1"):
        return f"1-{digits[1:4]}-{digits[4:7]}-{digits[7:]}"
    return digits
