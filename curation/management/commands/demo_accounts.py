import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

# username -> curation role (a group of curation/migrations/0002_roles.py)
ROLE_ACCOUNTS = {"curator": "curator", "reviewer": "reviewer"}


class Command(BaseCommand):
    help = "Create (or reset) the local demo accounts with fresh random passwords and print them. Local demo only."

    def handle(self, **options):
        password = self.reset("admin", email="admin@example.org", is_staff=True, is_superuser=True)
        self.stdout.write(
            self.style.SUCCESS(f"Demo admin: http://127.0.0.1:8000/admin/  user: admin  password: {password}")
        )
        for username, role in ROLE_ACCOUNTS.items():
            password = self.reset(username, email=f"{username}@example.org")
            get_user_model().objects.get(username=username).groups.set([Group.objects.get(name=role)])
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo {role}: http://127.0.0.1:8000/curation/  user: {username}  password: {password}"
                )
            )

    @staticmethod
    def reset(username, *, email, is_staff=False, is_superuser=False):
        """Create or refresh the account with a new random password; return the password."""
        password = secrets.token_urlsafe(12)
        user, _created = get_user_model().objects.get_or_create(username=username, defaults={"email": email})
        user.is_staff, user.is_superuser, user.is_active = is_staff, is_superuser, True
        user.set_password(password)
        user.save()
        return password
