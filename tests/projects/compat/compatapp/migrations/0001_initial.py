from django.db import migrations, models


def seed(apps, schema_editor):
    apps.get_model("compatapp", "Item").objects.create(name="seeded")


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("name", models.CharField(max_length=50, unique=True)),
            ],
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
