"""The curation roles: groups ``curator`` and ``reviewer`` with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = [
    ("proteins", "view_interaction"),
    ("proteins", "view_protein"),
    ("proteins", "view_sourcedatabase"),
    ("proteins", "view_detectionmethod"),
    ("proteins", "view_publication"),
    ("curation", "view_curationevent"),
    ("curation", "view_comment"),
    ("curation", "view_pendingsourcechange"),
]
CURATOR = [
    *VIEW,
    ("curation", "flag_interaction"),
    ("curation", "add_comment"),
    ("curation", "change_pendingsourcechange"),
]
ROLES = {
    "curator": CURATOR,
    "reviewer": [*CURATOR, ("curation", "review_interaction")],
}


def add_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        for app_label, codename in codenames:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0001_initial"),
        ("proteins", "0006_interaction_history_and_editor"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_roles, remove_roles)]
