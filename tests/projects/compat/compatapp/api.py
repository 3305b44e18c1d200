"""A DRF view limited by AnonRateThrottle (3 requests a minute, see settings)."""

from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView


class ThrottledView(APIView):
    throttle_classes = (AnonRateThrottle,)

    def get(self, request):
        return Response({"ok": True})
