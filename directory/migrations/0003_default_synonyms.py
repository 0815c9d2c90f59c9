"""The first curated synonyms; curators edit them in the admin afterwards."""

from django.db import migrations

# What people type → what listings say. Each row only widens a search.
SYNONYMS = {
    "suicidal": "suicide, crisis",
    "kill myself": "suicide, crisis",
    "self harm": "crisis, suicide",
    "ptsd": "trauma",
    "vet": "veteran",
    "vets": "veteran",
    "military": "service members, veteran",
    "soldier": "service members, veteran",
    "gay": "lgbtq",
    "lesbian": "lgbtq",
    "bisexual": "lgbtq",
    "queer": "lgbtq",
    "lgbt": "lgbtq",
    "trans": "lgbtq",
    "transgender": "trans, lgbtq",
    "nonbinary": "trans, lgbtq",
    "addiction": "substance use",
    "substance abuse": "substance use",
    "drug abuse": "substance use",
    "addicted": "substance use",
    "drug": "substance use",
    "drugs": "substance use",
    "alcohol": "substance use",
    "drinking": "substance use",
    "overdose": "substance use, crisis",
    "hotline": "helpline, crisis line, lifeline",
    "teen": "youth, young people",
    "teens": "youth, young people",
    "teenager": "youth, young people",
    "kid": "youth, child",
    "kids": "youth, child",
    "anxious": "anxiety",
    "panic": "anxiety",
    "therapy": "therapist, psychologist, counselor",
    "counseling": "counselor, therapist",
    "bereavement": "grief",
    "test": "screening",
    "quiz": "screening",
    "questionnaire": "screening",
    "rehab": "treatment",
    "abuse": "violence, abuse",
}


def add(apps, schema_editor):
    SearchSynonym = apps.get_model("directory", "SearchSynonym")
    for term, expansions in SYNONYMS.items():
        SearchSynonym.objects.get_or_create(term=term, defaults={"expansions": expansions})


def remove(apps, schema_editor):
    SearchSynonym = apps.get_model("directory", "SearchSynonym")
    for term, expansions in SYNONYMS.items():
        SearchSynonym.objects.filter(term=term, expansions=expansions).delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_search_index")]

    operations = [migrations.RunPython(add, remove)]
