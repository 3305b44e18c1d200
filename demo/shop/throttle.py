"""A fixed-window rate limit per client IP address, counted in the cache."""

from functools import wraps

from django.core.cache import cache
from django.http import JsonResponse


def allow_request(request, scope: str, limit: int, period: int) -> bool:
    """Count one request of the client in ``scope``; False once over ``limit``."""
    key = f"throttle:{scope}:{request.META.get('REMOTE_ADDR', '')}"
    # The window starts with the client's first request and lasts ``period``.
    cache.add(key, 0, timeout=period)
    return cache.incr(key) <= limit


def throttle(scope: str, limit: int, period: int = 60):
    """Answer 429 to a client's requests beyond ``limit`` per ``period`` seconds."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not allow_request(request, scope, limit, period):
                return JsonResponse(
                    {"detail": "Too many requests, slow down."},
                    status=429,
                    headers={"Retry-After": str(period)},
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
