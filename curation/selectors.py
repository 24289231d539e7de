"""Read-side queries of the curator area: the review queue, the dashboard, an interaction's history."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, QuerySet

from proteins.models import DetectionMethod, Interaction, Organism, Protein, SourceDatabase, Statement

from .models import CurationEvent, PendingSourceChange, ProblemReport

Status = Interaction.Status
Action = CurationEvent.Action

# Acts that change no field of the interaction, so wrote no history record to match.
UNRECORDED_ACTS = frozenset({Action.DISMISS_SOURCE, Action.DISMISS_REPORT})
ID_LIST_MAX = 10_000  # a list of ids the databases take as constants (SQLite: at most 32,766)

# sort key -> (label, ordering). Every ordering ends in a unique key, so pages never overlap,
# and each can be read from an index in order (see Interaction.Meta.indexes) instead of
# sorting a million rows to show fifty.
QUEUE_SORTS = {
    "-updated": ("last changed, newest first", ("-updated_at", "-pk")),
    "updated": ("last changed, oldest first", ("updated_at", "pk")),
    "tf": ("TF name", ("tf__gene_name", "tf_id", "target_id")),
    "target": ("target name", ("target__gene_name", "target_id", "tf_id")),
    "status": ("status, then oldest first", ("status", "updated_at", "pk")),
}


def review_queue(
    *,
    status="",
    organism=None,
    tf="",
    target="",
    source=None,
    small_scale=None,
    flagged_by="",
    reported=False,
    confidence=(),
    mode=(),
    sort="-updated",
):
    """The interactions matching the queue's filters, in the order of ``sort`` (a ``QUEUE_SORTS`` key).

    ``reported``: only those with open problem reports; ``confidence``, ``mode``: any of these levels, modes.
    """
    rows = Interaction.objects.all()
    if status:
        rows = rows.filter(status=status)
    if confidence:
        rows = rows.filter(confidence__in=confidence)
    if mode:
        rows = rows.filter(mode__in=mode)
    if organism is not None:
        # An interaction's organism is its TF's. Sorted by TF name, the condition on the TF
        # lets the database walk that organism's TFs in name order (index organism, gene_name)
        # instead of sorting all the organism's interactions.
        rows = rows.filter(tf__organism=organism) if sort == "tf" else rows.filter(organism=organism)
    # Proteins and the flagging curator are looked up first: with their ids as constants, the
    # planners estimate the matching rows well (as subqueries, PostgreSQL walked every row).
    if tf:
        rows = rows.filter(tf__in=proteins_matching(tf))
    if target:
        rows = rows.filter(target__in=proteins_matching(target))
    if source is not None:
        links = Interaction.source_databases.through.objects.filter(interaction=OuterRef("pk"), sourcedatabase=source)
        rows = rows.filter(Exists(links))
    if small_scale is not None:
        rows = rows.filter(small_scale=small_scale)
    if flagged_by:
        rows = rows.filter(pk__in=flagged_by_user(flagged_by))
    if reported:
        rows = rows.filter(pk__in=reported_interactions())
    return rows.order_by(*QUEUE_SORTS[sort][1])


def proteins_matching(text: str) -> list[int]:
    """The ids of the proteins ``text`` identifies (``Protein.objects.identified_by``)."""
    return list(Protein.objects.identified_ids([text]))


def flagged_by_user(username):
    """The ids of the interactions ``username`` flagged, or a subquery of them for a prolific flagger."""
    flags = CurationEvent.objects.filter(action=Action.FLAG, actor__username=username).values_list(
        "interaction_id", flat=True
    )
    found = set(flags[: ID_LIST_MAX + 1])
    return flags if len(found) > ID_LIST_MAX else found


def reported_interactions():
    """The ids of the interactions with open problem reports, or a subquery of them when there are many."""
    reported = ProblemReport.objects.filter(state=ProblemReport.State.OPEN).values_list("interaction_id", flat=True)
    found = set(reported[: ID_LIST_MAX + 1])
    return reported if len(found) > ID_LIST_MAX else found


@dataclass
class QueuePage:
    """One page of the queue. Whether there is a next page is known from one extra row, not a COUNT."""

    rows: list
    number: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def first_index(self):
        return (self.number - 1) * self.per_page + 1

    @property
    def last_index(self):
        return self.first_index + len(self.rows) - 1


def queue_page(rows, number, per_page):
    """Page ``number`` of ``rows``, with what the queue shows of each row.

    The page's ids are found first, joining nothing but the protein a name sort needs: with
    more tables in the join, SQLite's planner sorts all matching rows rather than walk the
    names' index in order. The rows of those ids are then read with their proteins.
    """
    offset = (number - 1) * per_page
    ids = list(rows.values_list("pk", flat=True)[offset : offset + per_page + 1])
    found = Interaction.objects.filter(pk__in=ids[:per_page]).select_related(
        "tf", "target", "organism", "last_edited_by"
    )
    by_id = {row.pk: row for row in found.prefetch_related("source_databases")}
    return QueuePage([by_id[pk] for pk in ids[:per_page] if pk in by_id], number, per_page, len(ids) > per_page)


# The dashboard.


def status_counts() -> list[tuple[str, str, int]]:
    """``[(status, label, number of interactions)]`` in one grouped query (read from the status index)."""
    counts = dict(Interaction.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return [(value, label, counts.get(value, 0)) for value, label in Status.choices]


def recent_events(**filters) -> QuerySet:
    return CurationEvent.objects.filter(**filters).select_related("actor", "interaction__tf", "interaction__target")


def pending_source_changes() -> QuerySet:
    return PendingSourceChange.objects.filter(decision=PendingSourceChange.Decision.PENDING).select_related(
        "interaction__tf", "interaction__target"
    )


def statements(interaction: Interaction) -> QuerySet:
    """What each publication states about ``interaction``, by publication, with who read it."""
    return Statement.objects.filter(interaction=interaction).select_related("publication", "source", "entered_by")


def open_reports() -> QuerySet:
    """Problem reports waiting for a curator, newest first."""
    return ProblemReport.objects.filter(state=ProblemReport.State.OPEN).select_related(
        "interaction__tf", "interaction__target"
    )


# The history of one interaction: field changes (django-simple-history), curation events and comments.

HISTORY_LIMIT = 50
# Records saved by one act (a save, then one per evidence list it sets) are this close in time.
ACT_WINDOW = timedelta(seconds=2)
EVIDENCE = {
    "source_databases": SourceDatabase,
    "detection_methods": DetectionMethod,
    "publications": None,  # a publication's key is its PubMed id: nothing to look up
}
REFERENCES = {"tf": Protein, "target": Protein, "organism": Organism, "last_edited_by": get_user_model()}


@dataclass
class Change:
    """One field's change: ``old`` and ``new`` as text; lists also say what was added and removed."""

    field: str
    old: str
    new: str
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)

    @property
    def is_list(self):
        return bool(self.added or self.removed)


@dataclass
class HistoryEntry:
    when: datetime
    kind: str  # "event", "change" or "comment"
    who: object
    title: str
    reason: str = ""
    changes: list = field(default_factory=list)


@dataclass
class Act:
    """Consecutive history records written by one act, and what it changed (raw values)."""

    records: list
    baseline: object  # the record before the act; None for the first record held
    changes: list = field(default_factory=list)
    matched: bool = False

    @property
    def last(self):
        return self.records[-1]


def interaction_history(interaction, limit=HISTORY_LIMIT):
    """``(entries, truncated)``: what happened to ``interaction``, newest first.

    Each curation event carries the field changes of the history records its act wrote;
    changes made elsewhere (the admin) are entries of their own. ``limit`` caps the acts
    diffed (a few queries each) and the entries returned; None shows everything.
    """
    acts = recorded_acts(interaction, limit)
    labels = Labels(acts)
    events = list(interaction.curation_events.select_related("actor")[:limit])
    comments = list(interaction.comments.select_related("author")[:limit])
    entries = [event_entry(event, match_act(event, acts), labels) for event in events]
    entries += [change_entry(act, labels) for act in acts if not act.matched]
    entries += [
        HistoryEntry(comment.created_at, "comment", comment.author, "comment", comment.text) for comment in comments
    ]
    entries.sort(key=lambda entry: entry.when, reverse=True)
    truncated = limit is not None and (len(entries) > limit or len(events) == limit or len(comments) == limit)
    return entries[:limit], truncated


def recorded_acts(interaction, limit):
    records = list(interaction.history.select_related("history_user").order_by("history_date", "history_id"))
    groups = []
    for record in records:
        previous = groups[-1][-1] if groups else None
        if (
            previous is not None
            and record.history_user_id == previous.history_user_id
            and record.history_change_reason == previous.history_change_reason
            and record.history_date - previous.history_date <= ACT_WINDOW
        ):
            groups[-1].append(record)
        else:
            groups.append([record])
    first = 0 if limit is None else max(0, len(groups) - limit)
    acts = []
    for position in range(first, len(groups)):
        baseline = groups[position - 1][-1] if position else None
        act = Act(groups[position], baseline)
        start = baseline or act.records[0]
        if start is not act.last:
            act.changes = act.last.diff_against(start, excluded_fields=["version"]).changes
        acts.append(act)
    return acts


def match_act(event, acts):
    """The unmatched act the event's workflow call wrote: same person, same moment, same kind of change."""
    candidates = [
        act
        for act in acts
        if not act.matched
        and act.last.history_user_id == event.actor_id
        and abs(act.last.history_date - event.created_at) <= ACT_WINDOW
        and (moved_to(act, event.to_status) if event.from_status != event.to_status else not moved(act))
    ]
    if not candidates or event.action in UNRECORDED_ACTS:
        return None
    act = min(candidates, key=lambda act: abs(act.last.history_date - event.created_at))
    act.matched = True
    return act


def moved(act):
    return any(change.field == "status" for change in act.changes)


def moved_to(act, status):
    """Whether the act set ``status`` (the first act held has no baseline to compare with)."""
    return act.last.status == status and (moved(act) or act.baseline is None)


def event_entry(event, act, labels):
    title = event.get_action_display()
    if event.from_status != event.to_status:
        title += f": {event.from_status} → {event.to_status}"
    changes = [change for change in act.changes if change.field != "status"] if act else []
    return HistoryEntry(event.created_at, "event", event.actor, title, event.reason, labels.changes(changes))


def change_entry(act, labels):
    """A change no curation event accounts for (made in the admin, for instance)."""
    title = {"+": "created", "-": "deleted"}.get(act.last.history_type, "changed")
    if act.baseline is None and len(act.records) == 1:
        title += " (the first version the history holds)"
    record = act.last
    return HistoryEntry(
        record.history_date,
        "change",
        record.history_user,
        title,
        record.history_change_reason or "",
        labels.changes(act.changes),
    )


class Labels:
    """Names for the ids a history's changes hold, looked up with one query per kind of object."""

    def __init__(self, acts):
        wanted = {}
        for act in acts:
            for change in act.changes:
                if change.field in EVIDENCE and EVIDENCE[change.field] is not None:
                    key = related_key(change.field)
                    ids = {row[key] for row in [*change.old, *change.new]}
                    wanted.setdefault(EVIDENCE[change.field], set()).update(ids)
                elif change.field in REFERENCES:
                    ids = {value for value in (change.old, change.new) if value is not None}
                    wanted.setdefault(REFERENCES[change.field], set()).update(ids)
        self.names = {model: model.objects.in_bulk(ids) for model, ids in wanted.items()}

    def changes(self, raw_changes):
        return [self.change(change) for change in raw_changes]

    def change(self, raw):
        label = Interaction._meta.get_field(raw.field).verbose_name
        if raw.field in EVIDENCE:
            key = related_key(raw.field)
            old = [self.name_of(raw.field, row[key]) for row in raw.old]
            new = [self.name_of(raw.field, row[key]) for row in raw.new]
            added = [name for name in new if name not in old]
            removed = [name for name in old if name not in new]
            return Change(label, ", ".join(old) or "-", ", ".join(new) or "-", added, removed)
        return Change(label, self.value(raw.field, raw.old), self.value(raw.field, raw.new))

    def name_of(self, field_name, pk):
        model = EVIDENCE[field_name]
        if model is None:
            return f"PMID {pk}"
        found = self.names.get(model, {}).get(pk)
        return str(found) if found is not None else f"#{pk} (deleted)"

    def value(self, field_name, value):
        if value is None or value == "":
            return "-"
        if field_name in REFERENCES:
            found = self.names.get(REFERENCES[field_name], {}).get(value)
            return str(found) if found is not None else f"#{value} (deleted)"
        if field_name == "status":
            return Status(value).label
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)


def related_key(field_name):
    """The column of the evidence list's link table that names the linked object ("sourcedatabase")."""
    return Interaction._meta.get_field(field_name).m2m_reverse_field_name()
