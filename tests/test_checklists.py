"""Checklists per category: the bench's merged list, editing, reordering, the workbook round trip."""

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from portal import checklists, skills
from portal.errors import DomainError
from portal.extensions import db
from portal.models import ChecklistItem, ChecklistKind, Role

pytestmark = pytest.mark.both_databases

DIAG, QC = ChecklistKind.DIAGNOSIS, ChecklistKind.QUALITY_CHECK


def texts(items):
    return [i.text for i in items]


def workbook(rows, headers=("Category (empty: all)", "Checklist", "Position", "Item")) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def every_list():
    db.session.expire_all()
    return sorted((i.category_id or 0, i.kind, i.position, i.text, i.is_active)
                  for i in db.session.scalars(select(ChecklistItem)))


def test_items_for_merges_the_category_with_all_categories_by_position(make_category):
    laptop, scanner = make_category("Laptop"), make_category("Scanner")
    checklists.add_item(None, DIAG, "Powers on")
    checklists.add_item(laptop, DIAG, "Keyboard")
    checklists.add_item(laptop, DIAG, "Hinges")
    checklists.add_item(None, DIAG, "Serial number matches")
    checklists.add_item(scanner, DIAG, "Scan engine")
    checklists.add_item(laptop, QC, "Battery holds charge")
    gone = checklists.add_item(laptop, DIAG, "Floppy drive")
    checklists.set_item_active(gone, False)
    db.session.commit()
    # by position, the shared item first where positions tie
    assert texts(checklists.items_for(laptop, DIAG)) == ["Powers on", "Keyboard", "Serial number matches", "Hinges"]
    assert texts(checklists.items_for(scanner, DIAG)) == ["Powers on", "Scan engine", "Serial number matches"]
    assert texts(checklists.items_for(None, DIAG)) == ["Powers on", "Serial number matches"]
    assert texts(checklists.items_for(laptop, QC)) == ["Battery holds charge"]
    assert texts(checklists.list_items(laptop, DIAG)) == ["Keyboard", "Hinges", "Floppy drive"]


def test_items_are_reordered_edited_and_never_twice_in_a_list(make_category):
    laptop = make_category()
    a, b, c = (checklists.add_item(laptop, DIAG, t) for t in ("A", "B", "C"))
    checklists.move_item(c, -1)
    assert texts(checklists.items_for(laptop, DIAG)) == ["A", "C", "B"]
    checklists.move_item(a, -1)  # at the top: stays
    checklists.move_item(b, +1)  # at the bottom: stays
    assert texts(checklists.items_for(laptop, DIAG)) == ["A", "C", "B"]
    checklists.edit_item(a, "  A   first ")
    assert a.text == "A first"
    with pytest.raises(DomainError, match="already"):
        checklists.edit_item(b, "a FIRST")
    with pytest.raises(DomainError, match="already"):
        checklists.add_item(laptop, DIAG, "c")
    with pytest.raises(DomainError, match="Fill in"):
        checklists.add_item(laptop, DIAG, "   ")
    checklists.add_item(laptop, QC, "C")  # another list may have it


def test_export_then_import_changes_nothing(make_category):
    laptop = make_category("Laptop")
    for text in ("Powers on", "=cmd|' /C calc'!A0"):
        checklists.add_item(None, DIAG, text)
    for text in ("Keyboard", "Hinges"):
        checklists.add_item(laptop, QC, text)
    db.session.commit()
    before = every_list()
    summary = checklists.import_workbook(checklists.export_workbook())
    db.session.commit()
    assert summary.ok and summary.lists == 2 and summary.added == 0 and summary.kept == 4
    assert every_list() == before


def test_an_import_makes_each_list_in_the_file_exactly_its_rows(make_category):
    laptop = make_category("Laptop")
    keep, drop = checklists.add_item(laptop, DIAG, "Keyboard"), checklists.add_item(laptop, DIAG, "Floppy")
    untouched = checklists.add_item(laptop, QC, "Battery")
    db.session.commit()
    summary = checklists.import_workbook(workbook([
        ["laptop", "Diagnosis", 2, "keyboard"],
        ["Laptop", "diagnosis", 1, "Screen"],
        ["", "Quality check", None, "Label printed"],
    ]))
    db.session.commit()
    assert (summary.lists, summary.added, summary.kept, summary.deactivated) == (2, 2, 1, 1)
    assert texts(checklists.items_for(laptop, DIAG)) == ["Screen", "keyboard"]
    assert texts(checklists.items_for(laptop, QC)) == ["Label printed", "Battery"]
    db.session.expire_all()
    assert not db.session.get(ChecklistItem, drop.id).is_active
    assert db.session.get(ChecklistItem, keep.id).is_active and db.session.get(ChecklistItem, untouched.id).is_active


def test_bad_rows_are_reported_by_row_and_column_and_nothing_changes(make_category):
    laptop = make_category("Laptop")
    checklists.add_item(laptop, DIAG, "Keyboard")
    db.session.commit()
    before = every_list()
    summary = checklists.import_workbook(workbook([
        ["Laptop", "Diagnosis", 1, "Screen"],
        ["Toaster", "Diagnosis", 1, "Crumbs"],
        ["Laptop", "Repair", "first", ""],
        ["Laptop", "Diagnosis", 3, "screen"],
        ["", "Diagnosis", 1, "x" * 301],
    ]))
    db.session.rollback()
    assert [(p.row, p.column.split(" ")[0], p.value) for p in summary.problems] == [
        (3, "A", "Toaster"), (4, "B", "Repair"), (4, "C", "first"), (4, "D", ""), (5, "D", "screen"),
        (6, "D", "x" * 301)]
    assert "earlier row" in summary.problems[4].reason
    assert every_list() == before


def test_skills_name_a_category_a_manufacturer_or_both(make_category, make_staff):
    laptop = make_category()
    tech, dispatcher = make_staff(Role.TECHNICIAN, name="Tech"), make_staff(Role.DISPATCH)
    skills.add_skill(tech, laptop, "")
    skills.add_skill(tech, None, " Zebra ")
    skills.add_skill(tech, laptop, "Dell")
    with pytest.raises(DomainError, match="already"):
        skills.add_skill(tech, None, "zebra")
    with pytest.raises(DomainError, match="category"):
        skills.add_skill(tech, None, "")
    with pytest.raises(DomainError, match="not a technician"):
        skills.add_skill(dispatcher, laptop, "")
    db.session.commit()
    assert skills.technicians() == [tech]
    own = skills.skills_by_technician([tech])[tech.id]
    assert [(s.category.name if s.category else None, s.manufacturer) for s in own] == [
        ("Laptop", ""), ("Laptop", "Dell"), (None, "Zebra")]
    skills.remove_skill(own[0])
    assert len(skills.skills_by_technician([tech])[tech.id]) == 2
