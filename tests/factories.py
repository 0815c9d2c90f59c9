"""factory_boy factories for the directory's models."""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from directory.models import (
    AuditEvent,
    ContactChannel,
    Feedback,
    Language,
    LinkCheck,
    Location,
    Organization,
    PublicationStatus,
    Resource,
    Schedule,
    ServiceArea,
    Taxonomy,
    TaxonomyTerm,
    Urgency,
)


class TaxonomyFactory(DjangoModelFactory):
    class Meta:
        model = Taxonomy
        django_get_or_create = ("code",)

    code = Taxonomy.KIND
    name = factory.LazyAttribute(lambda o: o.code.title())


class TaxonomyTermFactory(DjangoModelFactory):
    class Meta:
        model = TaxonomyTerm
        django_get_or_create = ("taxonomy", "code")

    taxonomy = factory.SubFactory(TaxonomyFactory)
    code = factory.Sequence(lambda n: f"term-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").capitalize())


class KindFactory(TaxonomyTermFactory):
    taxonomy = factory.SubFactory(TaxonomyFactory, code=Taxonomy.KIND)
    code = "helpline"
    name = "Helpline"


class TopicFactory(TaxonomyTermFactory):
    taxonomy = factory.SubFactory(TaxonomyFactory, code=Taxonomy.TOPIC)


class AudienceFactory(TaxonomyTermFactory):
    taxonomy = factory.SubFactory(TaxonomyFactory, code=Taxonomy.AUDIENCE)


class LanguageFactory(DjangoModelFactory):
    class Meta:
        model = Language
        django_get_or_create = ("code",)

    code = "en"
    name = "English"


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")
    website = "https://example.org"


class ResourceFactory(DjangoModelFactory):
    class Meta:
        model = Resource
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Resource {n}")
    slug = factory.Sequence(lambda n: f"resource-{n}")
    summary = "A resource used in tests."
    status = PublicationStatus.PUBLISHED
    urgency = Urgency.SOON
    kind = factory.SubFactory(KindFactory)

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)

    @factory.post_generation
    def audiences(self, create, extracted, **kwargs):
        if create and extracted:
            self.audiences.set(extracted)

    @factory.post_generation
    def languages(self, create, extracted, **kwargs):
        if create and extracted:
            self.languages.set(extracted)


class ContactChannelFactory(DjangoModelFactory):
    """Test numbers use the 555-01xx range, reserved for fiction."""

    class Meta:
        model = ContactChannel

    resource = factory.SubFactory(ResourceFactory)
    kind = ContactChannel.Kind.PHONE
    value = factory.Sequence(lambda n: f"1-202-555-01{n % 100:02d}")


class ScheduleFactory(DjangoModelFactory):
    class Meta:
        model = Schedule

    resource = factory.SubFactory(ResourceFactory)
    weekday = 0
    opens_at = "09:00"
    closes_at = "17:00"


class ServiceAreaFactory(DjangoModelFactory):
    class Meta:
        model = ServiceArea

    resource = factory.SubFactory(ResourceFactory)
    scope = ServiceArea.Scope.NATIONAL


class LocationFactory(DjangoModelFactory):
    class Meta:
        model = Location

    resource = factory.SubFactory(ResourceFactory)
    address_1 = "1 Example Street"
    city = "Springfield"
    state = "IL"
    postal_code = "62701"
    latitude = 39.8
    longitude = -89.65


class ProblemReportFactory(DjangoModelFactory):
    class Meta:
        model = Feedback

    kind = Feedback.Kind.PROBLEM
    resource = factory.SubFactory(ResourceFactory)
    problem = Feedback.Problem.WRONG_HOURS
    message = "The listed hours no longer match the website."


class SuggestionFactory(DjangoModelFactory):
    class Meta:
        model = Feedback

    kind = Feedback.Kind.SUGGESTION
    suggested_name = factory.Sequence(lambda n: f"Suggested resource {n}")
    suggested_organization = "Example Community Services"
    suggested_url = "https://example.org/help"
    suggested_kind = factory.SubFactory(KindFactory)
    message = "A peer support group that meets weekly."


class LinkCheckFactory(DjangoModelFactory):
    class Meta:
        model = LinkCheck
        django_get_or_create = ("url",)

    url = factory.Sequence(lambda n: f"https://example.org/page-{n}")
    result = LinkCheck.Result.OK
    status_code = 200
    final_url = factory.LazyAttribute(lambda o: o.url)
    checked_at = factory.LazyFunction(timezone.now)


class AuditEventFactory(DjangoModelFactory):
    class Meta:
        model = AuditEvent

    action = AuditEvent.Action.PUBLISHED
    resource = factory.SubFactory(ResourceFactory)
    object_repr = factory.LazyAttribute(lambda o: str(o.resource))
