"""The two working roles: Archivist (import, describe, submit) and Editor (also publish and withdraw)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ARCHIVIST = [
    ("archive", "add_article"),
    ("archive", "change_article"),
    ("archive", "view_article"),
    ("archive", "submit_article"),
    ("archive", "import_articles"),
    ("archive", "add_actor"),
    ("archive", "change_actor"),
    ("archive", "view_actor"),
    ("archive", "add_actorname"),
    ("archive", "change_actorname"),
    ("archive", "delete_actorname"),
    ("archive", "view_actorname"),
    ("archive", "add_place"),
    ("archive", "change_place"),
    ("archive", "view_place"),
    ("archive", "add_placename"),
    ("archive", "change_placename"),
    ("archive", "delete_placename"),
    ("archive", "view_placename"),
    ("archive", "view_suggestion"),
    ("archive", "change_suggestion"),
    ("taggit", "add_tag"),
    ("taggit", "change_tag"),
    ("taggit", "view_tag"),
    ("taggit", "add_taggeditem"),
    ("taggit", "change_taggeditem"),
    ("taggit", "delete_taggeditem"),
    ("taggit", "view_taggeditem"),
]
EDITOR = [
    *ARCHIVIST,
    ("archive", "publish_article"),
    ("archive", "withdraw_article"),
    ("archive", "delete_article"),
    ("archive", "delete_actor"),
    ("archive", "delete_place"),
    ("taggit", "delete_tag"),
]
GROUPS = {"Archivist": ARCHIVIST, "Editor": EDITOR}


def create_groups(apps, schema_editor):
    # The database being migrated, which need not be the default one (``copy_to_postgres`` migrates its target).
    using = schema_editor.connection.alias
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GROUPS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        permissions = [
            Permission.objects.using(using).get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in codes
        ]
        group.permissions.add(*permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0004_history_and_workflow_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
