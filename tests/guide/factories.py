"""factory_boy factories for the guide's models."""

from __future__ import annotations

import datetime

import factory
from factory.django import DjangoModelFactory

from directory.models import PublicationStatus
from guide.models import Feedback, Guide, PhrasePair, Reference, Section, Tip


class GuideFactory(DjangoModelFactory):
    class Meta:
        model = Guide

    title = factory.Sequence(lambda n: f"Guide {n}")
    slug = factory.Sequence(lambda n: f"guide-{n}")
    summary = "A guide used in tests."
    introduction = "An introduction."
    conclusion = "A conclusion."
    status = PublicationStatus.PUBLISHED
    published_on = datetime.date(2026, 1, 1)


class SectionFactory(DjangoModelFactory):
    class Meta:
        model = Section
        skip_postgeneration_save = True

    guide = factory.SubFactory(GuideFactory)
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")
    summary = "A section used in tests."
    body = "A section body."
    status = PublicationStatus.PUBLISHED

    @factory.post_generation
    def related_resources(self, create, extracted, **kwargs):
        if create and extracted:
            self.related_resources.set(extracted)


class TipFactory(DjangoModelFactory):
    class Meta:
        model = Tip
        skip_postgeneration_save = True

    section = factory.SubFactory(SectionFactory)
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Tip {n}")
    slug = factory.Sequence(lambda n: f"tip-{n}")
    body = "A tip body."

    @factory.post_generation
    def related_resources(self, create, extracted, **kwargs):
        if create and extracted:
            self.related_resources.set(extracted)


class PhrasePairFactory(DjangoModelFactory):
    class Meta:
        model = PhrasePair

    section = factory.SubFactory(SectionFactory)
    could_say = "How have things been?"
    avoid_saying = "You're fine, right?"


class ReferenceFactory(DjangoModelFactory):
    class Meta:
        model = Reference

    guide = factory.SubFactory(GuideFactory)
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Reference {n}")
    publisher = "A publisher"
    url = "https://example.org/reference"


class FeedbackFactory(DjangoModelFactory):
    class Meta:
        model = Feedback

    section = factory.SubFactory(SectionFactory)
    helpful = True
