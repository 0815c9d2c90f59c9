import pytest
from django.core.exceptions import ValidationError

from directory.phones import check_vanity, format_number, normalize_number


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


def test_only_988_and_911_accept_texts_among_service_codes():
    assert normalize_number("988", text_only=True) == "988"
    assert normalize_number("911", text_only=True) == "911"
    with pytest.raises(ValidationError, match="cannot receive text messages"):
        normalize_number("211", text_only=True)


@pytest.mark.parametrize(
    ("vanity", "digits"),
    [
        ("1-800-950-NAMI", "18009506264"),
        ("800-950-NAMI", "18009506264"),
        ("1-844-7NATIVE", "18447628483"),
        ("1-800-4-A-CHILD", "18004224453"),
        ("", "18009506264"),
    ],
)
def test_a_vanity_spelling_that_dials_the_number_is_accepted(vanity, digits):
    check_vanity(vanity, digits)


def test_a_vanity_spelling_that_dials_another_number_is_refused():
    with pytest.raises(ValidationError, match="dials 1-800-950-6265, not 1-800-950-6264"):
        check_vanity("1-800-950-NAMJ", "18009506264")


def test_saving_a_channel_refuses_a_bad_number_whatever_path_saves_it(db):
    from directory.models import ContactChannel
    from tests.factories import ResourceFactory

    resource = ResourceFactory()
    with pytest.raises(ValidationError):
        ContactChannel(resource=resource, kind="phone", value="1-000-950-6264").save()
    with pytest.raises(ValidationError):
        ContactChannel(resource=resource, kind="text", value="211").save()
    with pytest.raises(ValidationError):
        ContactChannel(
            resource=resource, kind="phone", value="1-800-950-6264", vanity="1-800-950-NAMJ"
        ).save()
    assert not ContactChannel.objects.exists()


def test_channel_form_errors_name_the_field_at_fault(db):
    from directory.models import ContactChannel
    from tests.factories import ResourceFactory

    resource = ResourceFactory()
    channel = ContactChannel(
        resource=resource, kind="phone", value="1-800-950-6264", vanity="1-800-950-NAMJ"
    )
    with pytest.raises(ValidationError) as error:
        channel.full_clean()
    assert set(error.value.message_dict) == {"vanity"}
    chat = ContactChannel(
        resource=resource, kind="chat", value="https://example.org/chat", keyword="HOME"
    )
    with pytest.raises(ValidationError) as error:
        chat.full_clean()
    assert set(error.value.message_dict) == {"keyword"}
