"""The background task of the ``releases`` app: a release's publication, run by the worker inside
``proteins.jobs.running`` (see ``proteins.jobs``), queued by ``manage.py publish_release`` and the admin."""

from django_tasks import task

from proteins import jobs
from proteins.models import Job

from . import publishing
from .models import Release


def queue_publication(release: Release, base_url: str, user=None) -> Job:
    """Queue the job that publishes ``release`` (set aside by ``publishing.start``)."""
    return jobs.queue(
        Job.Kind.RELEASE,
        publish_release,
        user=user,
        description=str(release),
        arguments={"release": release.pk, "base_url": base_url},
    )


@task()
def publish_release(job_id: int) -> None:
    """Publish the job's release (``publishing.publish``); run again, it takes up a failed release."""
    with jobs.running(job_id) as job:
        release = Release.objects.get(pk=job.arguments["release"])
        release = publishing.publish(release, jobs.row_progress(job), base_url=job.arguments["base_url"])
        job.result = summary(release)


def summary(release: Release) -> str:
    """What a publication made, in a line: for the job's result and the command's output."""
    figures, files = release.figures, release.files.count()
    text = f"{release} is published: {figures['interactions']} interactions, {figures['binding_sites']} binding sites"
    text += f", {files} files"
    if release.previous:
        difference = release.difference
        text += (
            f"; since release {release.previous.number}: {difference['added']} added, "
            f"{difference['withdrawn']} withdrawn, {difference['changed']} changed, {difference['acts']} curation acts"
        )
    return text + "."
