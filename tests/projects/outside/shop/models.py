from django.db import models


class Rate(models.Model):
    name = models.CharField(max_length=20, unique=True)
    percent = models.IntegerField()
