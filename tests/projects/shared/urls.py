from django.core.cache import cache
from django.http import HttpResponse
from django.urls import path


def remember(request, value):
    """Write to the cache from the live server's thread."""
    cache.set("from-server", value)
    return HttpResponse(value)


urlpatterns = [path("remember/<str:value>/", remember)]
