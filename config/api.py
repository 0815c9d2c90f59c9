"""The one API router: every public v1 endpoint is registered here."""

from rest_framework.routers import DefaultRouter

from guide.api import GuideViewSet

router = DefaultRouter()
router.register("guides", GuideViewSet, basename="guide")
