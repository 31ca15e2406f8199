"""What can be done with labels, as plain functions over a session."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp import events, timeutil
from webapp.errors import ConflictError, NotFoundError, ValidationError
from webapp.labels.models import NAME_MAX, Label, name_key
from webapp.notes import queries
from webapp.notes import service as notes
from webapp.notes.models import Note, note_labels
from webapp.sync import sequence


def clean_name(name: str) -> str:
    """Trim the name and check its length (1 to 50 characters)."""
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= NAME_MAX:
        raise ValidationError(
            f"A label name has 1 to {NAME_MAX} characters.",
            fields={"name": f"1 to {NAME_MAX} characters, not only spaces"},
        )
    return cleaned


def _check_unique(session: Session, owner_id: int, name: str, except_id: int | None = None) -> None:
    clash = session.scalar(
        select(Label).where(Label.owner_id == owner_id, Label.name_key == name_key(name))
    )
    if clash is not None and clash.id != except_id:
        raise ConflictError(f'A label named "{clash.name}" already exists.', code="label_exists")


def list_labels(session: Session, owner_id: int) -> list[tuple[Label, int]]:
    """Every label of the owner with how many notes outside the trash carry it.

    Counted as every note of the label minus those in the trash: both read only indexes.
    Checking each labelled note's trashed_at instead read 80,000 note rows at 100,000 notes
    (250 ms; this way 26 ms).
    """
    labels = session.scalars(
        select(Label).where(Label.owner_id == owner_id).order_by(Label.name_key)
    ).all()
    counts = dict(
        session.execute(
            select(note_labels.c.label_id, func.count())
            .join(Label, Label.id == note_labels.c.label_id)
            .where(Label.owner_id == owner_id)
            .group_by(note_labels.c.label_id)
        ).all()
    )
    trashed = session.execute(
        select(note_labels.c.label_id, func.count())
        .join(Note, Note.id == note_labels.c.note_id)
        .where(Note.owner_id == owner_id, Note.trashed_at.is_not(None))
        .group_by(note_labels.c.label_id)
    )
    for label_id, count in trashed:
        counts[label_id] = counts.get(label_id, 0) - count
    return [(label, counts.get(label.id, 0)) for label in labels]


def note_count(session: Session, label: Label) -> int:
    return session.scalar(
        select(func.count(Note.id))
        .join(note_labels, note_labels.c.note_id == Note.id)
        .where(note_labels.c.label_id == label.id, Note.trashed_at.is_(None))
    )


def get_label(session: Session, owner_id: int, label_id: int) -> Label:
    label = session.scalar(select(Label).where(Label.id == label_id, Label.owner_id == owner_id))
    if label is None:
        raise NotFoundError(f"Label {label_id} does not exist.")
    return label


def add_label(session: Session, owner_id: int, name: str, uid: str | None = None) -> Label:
    """The one place a label is made (a cleaned, unclaimed name), uncommitted: it takes the
    owner's next change sequence, so sync's feed carries it."""
    label = Label(owner_id=owner_id, name=name, name_key=name_key(name))
    if uid is not None:
        label.uid = uid
    label.seq = sequence.bump(session.connection(), owner_id)
    session.add(label)
    session.flush()
    return label


def create_label(session: Session, owner_id: int, name: str) -> Label:
    name = clean_name(name)
    _check_unique(session, owner_id, name)
    label = add_label(session, owner_id, name)
    events.changed(session, owner_id, [], "labels")
    _commit_unique(session, name)
    return label


def rename_label(session: Session, owner_id: int, label_id: int, name: str) -> Label:
    label = get_label(session, owner_id, label_id)
    name = clean_name(name)
    _check_unique(session, owner_id, name, except_id=label.id)
    label.name, label.name_key = name, name_key(name)
    label.seq = sequence.bump(session.connection(), owner_id)
    session.flush()
    note_ids = _note_ids(session, label.id)
    notes.refresh_search_text(session, owner_id, note_ids)
    events.changed(session, owner_id, note_ids, "labels")
    _commit_unique(session, name)
    return label


def delete_label(session: Session, owner_id: int, label_id: int) -> None:
    """Delete the label; its notes stay, without it.

    Each note that carried it is edited as a bulk ``remove_label`` edits it (``write_note``: a
    new version and sequence number). Its label uids are part of the note as sync and the API
    give it, and the version is what every reader checks a copy against (the ETag a page
    sends back in If-Match, a device's ``base_version``): a device whose last copy still has
    the label hears of the note again, and an edit made on that copy meets a conflict and
    is merged, rather than applied over content it never saw.
    """
    label = get_label(session, owner_id, label_id)
    note_ids = _note_ids(session, label.id)
    now = timeutil.now()
    for start in range(0, len(note_ids), _BATCH):
        for note in queries.owned_notes(session, owner_id, note_ids[start : start + _BATCH]):
            kept = [other.id for other in note.labels if other.id != label.id]
            notes.write_note(session, owner_id, note, {"label_ids": kept}, now)
    sequence.bury(session.connection(), owner_id, "label", [label.uid], now)
    session.delete(label)
    session.flush()
    session.expire_all()
    events.changed(session, owner_id, note_ids, "labels")
    session.commit()


# Notes read at once while a deleted label is taken off them.
_BATCH = 500


def _note_ids(session: Session, label_id: int) -> list[int]:
    return list(
        session.scalars(select(note_labels.c.note_id).where(note_labels.c.label_id == label_id))
    )


def _commit_unique(session: Session, name: str) -> None:
    # Two requests racing past the check above meet the unique index here.
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(f'A label named "{name}" already exists.', code="label_exists") from exc
