from django.conf import settings
from django.urls import path

from compatapp import views

urlpatterns = [
    path("write/<str:key>/", views.write),
    path("read/", views.read),
]

if settings.HAS_DRF:
    from compatapp.api import ThrottledView

    urlpatterns.append(path("api/throttled/", ThrottledView.as_view()))
