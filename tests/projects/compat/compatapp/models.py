from django.db import models


class Item(models.Model):
    """A row the initial migration creates: serialized_rollback restores it."""

    name = models.CharField(max_length=50, unique=True)
