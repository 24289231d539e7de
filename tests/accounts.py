"""Staff accounts for the tests: a user in curation groups (with extra permissions), a client signed in as one."""

from django.contrib.auth.models import Group, Permission, User
from django.test import Client


def staff(username, *groups, permissions=()):
    """A staff user in ``groups`` (e.g. "curator", "reviewer") with ``permissions`` (codenames) besides."""
    user = User.objects.create_user(username, password="staff-pass-1234", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    return user


def signed_in(user, **client_options):
    """A test client signed in as ``user``."""
    client = Client(**client_options)
    client.force_login(user)
    return client
