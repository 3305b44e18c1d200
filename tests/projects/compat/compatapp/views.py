from django.core.cache import cache
from django.http import HttpResponse, JsonResponse

from compatapp.keys import ALL_KEYS, SERVER_VALUE


def write(request, key):
    """Write ``key`` to the cache from the live server's thread."""
    cache.set(key, SERVER_VALUE)
    return HttpResponse("ok")


def read(request):
    """Return every compat key the live server's thread sees."""
    return JsonResponse(cache.get_many(ALL_KEYS))
