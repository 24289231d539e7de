"""The role that publishes releases: group ``editor``, staff who publish a release and edit the notes
and DOI of releases. A release is what papers cite, so its publication is a staff decision apart
from curation: no curator or reviewer holds it unless also made an editor."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "editor": [
        ("releases", "publish_release"),
        ("releases", "view_release"),
        ("releases", "change_release"),
        ("releases", "view_releasefile"),
    ],
}


def add_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the group needs them now.
    app_config = apps.get_app_config("releases")
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
        ("releases", "0001_releases"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_roles, remove_roles)]
