"""The one API router: every public v1 endpoint is registered here."""

from rest_framework.routers import DefaultRouter

from directory import api as directory_api
from guide.api import GuideViewSet

router = DefaultRouter()
router.register("resources", directory_api.ResourceViewSet, basename="resource")
router.register(
    "resource-changes", directory_api.ResourceChangesViewSet, basename="resource-change"
)
router.register("facets", directory_api.FacetsViewSet, basename="facets")
router.register("suggest", directory_api.SuggestViewSet, basename="suggest")
router.register("organizations", directory_api.OrganizationViewSet, basename="organization")
router.register("taxonomy-terms", directory_api.TaxonomyTermViewSet, basename="taxonomy-term")
router.register("guides", GuideViewSet, basename="guide")
