"""factory_boy factories for the directory's models."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from directory.models import (
    ContactChannel,
    Language,
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
