"""Modes of regulation for the tests: what publications state about an interaction, graded as the portal does."""

from curation import grading
from proteins.models import Interaction, Publication, SourceDatabase, Statement

# A mode as the publications the portal's curators read give it: dual is one paper of each.
STATED = {"activation": ["activation"], "repression": ["repression"], "dual": ["activation", "repression"]}


def state(interaction: Interaction, mode: str, pmid: int, sentence: str = "", source: SourceDatabase | None = None):
    """What the publication ``pmid`` states of ``interaction`` (read by the portal's curators, or ``source``)."""
    return Statement.objects.create(
        interaction=interaction,
        publication=Publication.objects.get_or_create(pmid=pmid)[0],
        source=source or SourceDatabase.objects.portal(),
        mode=mode,
        sentence=sentence,
    )


def give_modes(modes: dict[Interaction, str]) -> None:
    """Give each interaction its mode through the statements of curated publications, then grade them."""
    for number, (interaction, mode) in enumerate(modes.items()):
        for offset, stated in enumerate(STATED.get(mode, [])):
            state(interaction, stated, pmid=90000000 + 10 * number + offset)
    grading.regrade(interaction.pk for interaction in modes)
