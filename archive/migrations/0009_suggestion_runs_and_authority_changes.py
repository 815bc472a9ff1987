"""The version of the authority records (a change row per write) and, per article, the version its
suggestions were made with: the two together tell which suggestions are stale."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('archive', '0008_postgres_search'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuthorityChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('changed_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.CreateModel(
            name='SuggestionRun',
            fields=[
                ('article', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='suggestion_run', serialize=False, to='archive.article')),
                ('authorities', models.CharField(max_length=64, verbose_name='version of the authority records')),
                ('ran_at', models.DateTimeField()),
            ],
        ),
    ]
