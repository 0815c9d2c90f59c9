import pytest
from django.core.exceptions import ValidationError

from directory.phones import format_number, normalize_number


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("988", "988"),
        ("211", "211"),
        ("1-800-950-6264", "18009506264"),
        ("(800) 950-6264", "18009506264"),
        ("+1 800 950 6264", "18009506264"),
        ("1-800-950-NAMI", "18009506264"),
        ("877.565.8860", "18775658860"),
    ],
)
def test_callable_numbers_are_stored_as_digits(raw, stored):
    assert normalize_number(raw) == stored


@pytest.mark.parametrize(("raw", "stored"), [("741741", "741741"), ("678-678", "678678")])
def test_short_codes_are_accepted_for_text_channels_only(raw, stored):
    assert normalize_number(raw, text_only=True) == stored
    with pytest.raises(ValidationError, match="short codes can only be texted"):
        normalize_number(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter a phone number"),
        ("12", "US or Canadian number"),
        ("44 20 7946 0958 123", "US or Canadian number"),
        ("800-950-6264; DROP TABLE", "only digits"),
        ("1-000-950-6264", "not a valid North American number"),
    ],
)
def test_malformed_numbers_are_refused_with_a_reason(raw, message):
    with pytest.raises(ValidationError, match=message):
        normalize_number(raw, text_only=True)


@pytest.mark.parametrize(
    ("digits", "shown"), [("18009506264", "1-800-950-6264"), ("988", "988"), ("741741", "741741")]
)
def test_numbers_are_formatted_for_people(digits, shown):
    assert format_number(digits) == shown
