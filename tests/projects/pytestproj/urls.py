from django.core.cache import cache
from django.http import HttpResponse
from django.urls import path


def visit(request):
    """Count visits in the cache, from the live server's thread."""
    cache.add("visits", 0)
    return HttpResponse(str(cache.incr("visits")))


urlpatterns = [path("visit/", visit)]
