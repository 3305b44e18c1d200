from django.urls import path

from kindsapp import views

urlpatterns = [path("write/<str:key>/", views.write)]
