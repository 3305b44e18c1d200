from django.core.cache import cache
from django.http import HttpResponse


def write(request, key):
    """Write ``key`` to the cache from the live server's thread."""
    cache.set(key, "written by the server thread")
    return HttpResponse("ok")
