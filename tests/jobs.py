"""Background jobs in the tests: queued with the database backend (the default) and run by the
worker's own command, ``run_worker --once``, in this process, inside the test's transaction."""

from unittest import mock

from django.core.management import call_command


def run_queued_jobs():
    """Run every job waiting, as a worker would, then return.

    The worker checks its database connection between jobs (``close_old_connections``), which
    inside the test's transaction would close it; the test's connection is fresh anyway.
    """
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("run_worker", "--once", verbosity=0)
