"""Checklists: what a technician checks at diagnosis and a tester at the quality check, per category.

An item with no category belongs to every category's list. Items are never deleted (results copy
their text anyway); an admin deactivates them, so the bench shows only active ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from portal.errors import DomainError
from portal.extensions import db
from portal.models import ChecklistItem, ChecklistKind, DeviceCategory
from portal.sheet_tables import RowProblem, SheetColumn, read_table, write_table


def items_for(category: DeviceCategory | None, kind: ChecklistKind) -> list[ChecklistItem]:
    """The active items of the category's list of that kind, with the items for every category,
    by position (items for every category first where positions tie)."""
    where = ChecklistItem.category_id.is_(None)
    if category is not None:
        where = or_(where, ChecklistItem.category_id == category.id)
    return list(db.session.scalars(
        select(ChecklistItem)
        .where(where, ChecklistItem.kind == kind, ChecklistItem.is_active.is_(True))
        .order_by(ChecklistItem.position, ChecklistItem.category_id.is_not(None), ChecklistItem.id)))


KIND_TITLES = {ChecklistKind.DIAGNOSIS: _l("Diagnosis"), ChecklistKind.QUALITY_CHECK: _l("Quality check")}
COLUMNS = (
    SheetColumn("category", _l("Category (empty: all)"), "Category (empty: all)"),
    SheetColumn("kind", _l("Checklist"), "Checklist"),
    SheetColumn("position", _l("Position"), "Position", required=False),
    SheetColumn("text", _l("Item"), "Item"),
)
MAX_TEXT = 300


def list_items(category: DeviceCategory | None, kind: ChecklistKind) -> list[ChecklistItem]:
    """One list as the admin edits it: only its own items (not those for every category), inactive last."""
    where = (ChecklistItem.category_id.is_(None) if category is None
             else ChecklistItem.category_id == category.id)
    return list(db.session.scalars(
        select(ChecklistItem).where(where, ChecklistItem.kind == kind)
        .order_by(ChecklistItem.is_active.desc(), ChecklistItem.position, ChecklistItem.id)))


def _check_text(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise DomainError(_("Fill in this field."), field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(_("Use at most %(count)s characters.", count=MAX_TEXT), field="text")
    return text


def _same_text(category_id: int | None, kind: ChecklistKind, text: str, but: int | None = None):
    return db.session.scalar(select(ChecklistItem).where(
        ChecklistItem.category_id.is_(None) if category_id is None else ChecklistItem.category_id == category_id,
        ChecklistItem.kind == kind, func.lower(ChecklistItem.text) == text.lower(),
        ChecklistItem.id != (but or -1)))


def add_item(category: DeviceCategory | None, kind: ChecklistKind, text: str) -> ChecklistItem:
    """A new item at the end of the list; the same text twice in one list is refused."""
    text = _check_text(text)
    twin = _same_text(category.id if category else None, kind, text)
    if twin is not None:
        if twin.is_active:
            raise DomainError(_("This list has that item already."), field="text")
        raise DomainError(_("This list has that item already, deactivated: activate it instead."), field="text")
    last = db.session.scalar(select(func.max(ChecklistItem.position)).where(
        ChecklistItem.category_id.is_(None) if category is None else ChecklistItem.category_id == category.id,
        ChecklistItem.kind == kind))
    item = ChecklistItem(category=category, kind=kind, text=text, position=(last or 0) + 1, is_active=True)
    db.session.add(item)
    db.session.flush()
    return item


def edit_item(item: ChecklistItem, text: str) -> None:
    """New wording from now on; results already recorded keep the text that was checked."""
    text = _check_text(text)
    if _same_text(item.category_id, item.kind, text, but=item.id) is not None:
        raise DomainError(_("This list has that item already."), field="text")
    item.text = text
    db.session.flush()


def set_item_active(item: ChecklistItem, active: bool) -> None:
    item.is_active = active
    db.session.flush()


def move_item(item: ChecklistItem, step: int) -> None:
    """One place up (-1) or down (+1) among the list's active items; at an end it stays put."""
    siblings = [i for i in list_items(item.category, item.kind) if i.is_active]
    if item not in siblings:
        raise DomainError(_("Activate the item before moving it."))
    index = siblings.index(item)
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    db.session.flush()


# -- the workbook ----------------------------------------------------------------------------

def export_workbook() -> bytes:
    """Every active item, list by list, in the columns the import reads."""
    items = db.session.scalars(
        select(ChecklistItem).outerjoin(DeviceCategory, ChecklistItem.category_id == DeviceCategory.id)
        .where(ChecklistItem.is_active.is_(True))
        .order_by(DeviceCategory.name.is_not(None), DeviceCategory.name, ChecklistItem.kind,
                  ChecklistItem.position, ChecklistItem.id))
    lists: dict[tuple, int] = {}
    rows = []
    for item in items:
        key = (item.category_id, item.kind)
        lists[key] = lists.get(key, 0) + 1
        rows.append([item.category.name if item.category else "", str(KIND_TITLES[item.kind]), lists[key],
                     item.text])
    return write_table(_("Checklists"), COLUMNS, rows)


@dataclass
class ImportSummary:
    lists: int = 0  # lists the file replaced
    added: int = 0
    kept: int = 0
    deactivated: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _kind(text: str) -> ChecklistKind | None:
    value = " ".join(text.replace("_", " ").split()).casefold()
    for kind, title in KIND_TITLES.items():
        if value in (kind.value.replace("_", " "), str(title).casefold()):
            return kind
    return None


def import_workbook(data: bytes) -> ImportSummary:
    """Each list (category and checklist) in the file becomes exactly the file's items, in its order:
    items of the same text are kept (and reactivated), new ones added, the others deactivated.
    Lists the file does not mention stay as they are. With any bad row, nothing changes."""
    rows = read_table(data, COLUMNS)
    categories = {c.name.casefold(): c for c in db.session.scalars(select(DeviceCategory))}
    summary = ImportSummary()
    wanted: dict[tuple, list[tuple[int, int, str]]] = {}
    for order, row in enumerate(rows):
        values, problems = row.values, []
        name = values["category"].strip()
        category = categories.get(name.casefold()) if name else None
        if name and category is None:
            problems.append(row.problem("category", _("There is no device category of this name.")))
        kind = _kind(values["kind"])
        if kind is None:
            problems.append(row.problem("kind", _("Write %(diagnosis)s or %(qc)s.",
                                                  diagnosis=KIND_TITLES[ChecklistKind.DIAGNOSIS],
                                                  qc=KIND_TITLES[ChecklistKind.QUALITY_CHECK])))
        position_text = values.get("position", "").strip()
        position = order
        if position_text:
            if not position_text.isdigit() or not 0 < int(position_text) < 100_000:
                problems.append(row.problem("position", _("Write a whole number from 1, or leave it empty.")))
            else:
                position = int(position_text)
        try:
            text = _check_text(values["text"])
        except DomainError as error:
            problems.append(row.problem("text", error.message))
            text = ""
        key = (category.id if category else None, kind)
        if text and kind is not None and any(t.casefold() == text.casefold() for _p, _o, t in wanted.get(key, [])):
            problems.append(row.problem("text", _("This list has the item on an earlier row already.")))
        summary.problems.extend(problems)
        if not problems:
            wanted.setdefault(key, []).append((position, order, text))
    if summary.problems:
        summary.problems.sort(key=lambda p: p.order)
        return summary
    for (category_id, kind), entries in wanted.items():
        summary.lists += 1
        current = {i.text.casefold(): i for i in db.session.scalars(select(ChecklistItem).where(
            ChecklistItem.category_id.is_(None) if category_id is None else ChecklistItem.category_id == category_id,
            ChecklistItem.kind == kind))}
        placed = set()
        for number, (_position, _order, text) in enumerate(sorted(entries), start=1):
            item = current.get(text.casefold())
            if item is None:
                item = ChecklistItem(category_id=category_id, kind=kind)
                db.session.add(item)
                summary.added += 1
            else:
                summary.kept += 1
                placed.add(item.id)
            item.text, item.position, item.is_active = text, number, True
        for item in current.values():
            if item.id not in placed and item.is_active:
                item.is_active = False
                summary.deactivated += 1
    db.session.flush()
    return summary
