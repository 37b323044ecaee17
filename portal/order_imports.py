"""Spreadsheets into orders: an upload becomes an import batch to preview, fix and confirm.

Reading and checking the file is portal.imports' job; this module keeps the batch, remembers
the company's column mapping, and hands confirmed rows to portal.orders.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal import imports, orders
from portal.dbbase import utcnow
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import ColumnMapping, ImportBatch, ImportState, Order, OrderState, User

DUPLICATE = "duplicate_in_file"
#: Warnings that come from how the cell was stored in the file, not from its text: they stay
#: while the user leaves that cell as it was.
CELL_TYPE_CODES = {"serial_as_number", "formula"}


def fields() -> list[tuple[str, object]]:
    """(field, title) of every column an import can fill: the device's own, then the custom ones."""
    from portal import custom_fields
    from portal.models import CustomFieldTarget

    return [*imports.FIELDS, *((spec.key, spec.label) for spec in custom_fields.specs(CustomFieldTarget.DEVICE))]


def remembered_mapping(company_id: int) -> dict[str, str]:
    return {m.header: m.field for m in db.session.scalars(
        select(ColumnMapping).where(ColumnMapping.company_id == company_id))}


def _normalised(header: str) -> str:
    return " ".join(header.casefold().split())


def _store(batch: ImportBatch, result) -> None:
    batch.kind, batch.sheet, batch.header_row = result.kind, result.sheet, result.header_row
    batch.columns = [{"letter": c.letter, "header": c.header, "field": c.field or ""} for c in result.columns]
    batch.rows = [{"row": r.row, "values": r.values, "dropped": False,
                   "problems": [asdict(p) for p in r.problems if getattr(p, "code", "") != DUPLICATE]}
                  for r in result.rows]
    batch.file_warnings = [asdict(p) for p in result.file_warnings]


def _read(batch: ImportBatch, company) -> None:
    result = imports.read_file(batch.content, batch.filename, mapping=remembered_mapping(company.id),
                               context=imports.context_for(company))
    _store(batch, result)


def upload_import(order: Order, content: bytes, filename: str, *, actor: User) -> ImportBatch:
    """Keep an uploaded file for an order, to be read next; nothing becomes a device until confirmed."""
    if not orders.may_edit(actor, order):
        raise NotAllowed(str(_l("You may not change this order.")))
    if order.state != OrderState.DRAFT and not orders.is_before_receipt(order):
        raise DomainError(str(_l("The depot has already received this order; it can no longer be changed.")))
    if len(content) > current_app.config["IMPORT_MAX_BYTES"]:
        raise imports.FileRefused(str(_l("The file is larger than we accept (%(limit)d MB).",
                                         limit=current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024))),
                                  "too_large")
    batch = ImportBatch(order=order, company_id=order.company_id, user_id=actor.id, filename=filename[:255],
                        kind="", content=content, state=ImportState.READING)
    db.session.add(batch)
    db.session.flush()
    return batch


def start_import(order: Order, content: bytes, filename: str, *, actor: User) -> ImportBatch:
    """Upload and read at once (the page without its script, the command line, the bench)."""
    batch = upload_import(order, content, filename, actor=actor)
    _read(batch, order.company)
    batch.state = ImportState.PREVIEW
    return batch


@dataclass
class PendingRead:
    """What reading a kept file needs, taken out of the session so the read holds no transaction."""

    batch_id: int
    content: bytes
    filename: str
    mapping: dict[str, str]
    context: object


def pending_read(batch: ImportBatch) -> PendingRead:
    if batch.state != ImportState.READING:
        raise DomainError(str(_l("This file has already been read.")))
    return PendingRead(batch.id, batch.content, batch.filename, remembered_mapping(batch.company_id),
                       imports.context_for(batch.order.company))


def progress_writer(batch_id: int):
    """A progress callback that records rows read on its own connection, so other requests see it now."""
    def write(done: int, total: int) -> None:
        with db.engine.begin() as connection:
            connection.execute(update(ImportBatch).where(ImportBatch.id == batch_id)
                               .values(rows_read=done, rows_total=total))
    return write


def finish_read(batch: ImportBatch, result) -> None:
    _store(batch, result)
    batch.state = ImportState.PREVIEW


def remap_columns(batch: ImportBatch, choices: dict[str, str], *, actor: User) -> None:
    """Apply the user's column choices, remember them for the company's next import, read again."""
    _require_preview(batch)
    known = {field for field, _title in fields()}
    for column in batch.columns:
        choice = choices.get(column["letter"])
        if choice is None or (choice and choice not in known):
            continue
        header = _normalised(column["header"])
        if not header:
            continue
        mapping = db.session.scalar(select(ColumnMapping).where(
            ColumnMapping.company_id == batch.company_id, ColumnMapping.header == header))
        if mapping is None:
            mapping = ColumnMapping(company_id=batch.company_id, header=header)
            db.session.add(mapping)
        mapping.field = choice
    db.session.flush()
    _read(batch, batch.order.company)


def _require_preview(batch: ImportBatch) -> None:
    if batch.state != ImportState.PREVIEW:
        raise DomainError(str(_l("This import is already confirmed or discarded.")))


def columns_by_field(batch: ImportBatch) -> dict[str, str]:
    return {c["field"]: c["letter"] for c in batch.columns if c["field"]}


def fix_row(batch: ImportBatch, row_number: int, values: dict[str, str], *, actor: User) -> dict:
    """Check one row again after the user corrected cells in the browser."""
    _require_preview(batch)
    rows = list(batch.rows)
    index = next((i for i, r in enumerate(rows) if r["row"] == row_number), None)
    if index is None:
        raise DomainError(str(_l("There is no row %(row)d in this import.", row=row_number)))
    before = rows[index]
    merged = {**before["values"], **{k: v.strip() for k, v in values.items()}}
    checked = imports.validate_row(merged, row_number, columns_by_field(batch),
                                   imports.context_for(batch.order.company))
    kept = [p for p in before["problems"] if p.get("code") in CELL_TYPE_CODES
            and merged.get(p["field"]) == before["values"].get(p["field"])]
    rows[index] = {"row": row_number, "values": checked.values, "dropped": before["dropped"],
                   "problems": [*kept, *(asdict(p) for p in checked.problems)]}
    batch.rows = rows  # a new list, so the JSON column is written
    return rows[index]


def drop_row(batch: ImportBatch, row_number: int, dropped: bool = True) -> None:
    _require_preview(batch)
    batch.rows = [{**r, "dropped": dropped} if r["row"] == row_number else r for r in batch.rows]


def duplicates(batch: ImportBatch) -> dict[int, int]:
    """Row -> the earlier row with the same serial number: the later of two is the error."""
    first: dict[str, int] = {}
    repeated: dict[int, int] = {}
    for row in batch.rows:
        if row["dropped"]:
            continue
        serial = (row["values"].get("serial_number") or "").strip().upper()
        if not serial:
            continue
        if serial in first:
            repeated[row["row"]] = first[serial]
        else:
            first[serial] = row["row"]
    return repeated


def row_problems(batch: ImportBatch, row: dict, repeated: dict[int, int]) -> list[dict]:
    problems = list(row["problems"])
    if row["row"] in repeated:
        problems.append({
            "row": row["row"], "column": columns_by_field(batch).get("serial_number", ""), "field": "serial_number",
            "value": row["values"].get("serial_number", ""), "level": "error", "code": DUPLICATE,
            "message": str(_l("The same serial number is already in row %(row)d.", row=repeated[row["row"]])),
        })
    return problems


def summary(batch: ImportBatch) -> dict[str, int]:
    repeated = duplicates(batch)
    counts = {"rows": 0, "importable": 0, "errors": 0, "warnings": 0, "dropped": 0}
    for row in batch.rows:
        if row["dropped"]:
            counts["dropped"] += 1
            continue
        counts["rows"] += 1
        problems = row_problems(batch, row, repeated)
        has_error = any(p["level"] == "error" for p in problems)
        counts["errors"] += has_error
        counts["importable"] += not has_error
        counts["warnings"] += sum(p["level"] == "warning" for p in problems)
    return counts


def confirm_import(batch: ImportBatch, *, actor: User) -> int:
    """The rows become devices: at once for a submitted order, with the order's submission for a draft."""
    _require_preview(batch)
    counts = summary(batch)
    if counts["errors"]:
        raise DomainError(str(_l("Fix or drop the %(count)d rows with errors first.", count=counts["errors"])))
    if not counts["importable"]:
        raise DomainError(str(_l("There is no row to import.")))
    order = batch.order
    if order.state != OrderState.DRAFT:
        orders.add_devices(order, confirmed_rows(batch), actor=actor)
    batch.state = ImportState.CONFIRMED
    batch.confirmed_at = utcnow()
    return counts["importable"]


def confirmed_rows(batch: ImportBatch) -> list[dict]:
    """The device rows of a batch, as portal.orders takes them."""
    context = imports.context_for(batch.order.company)
    by_field = columns_by_field(batch)
    rows = []
    for row in batch.rows:
        if row["dropped"]:
            continue
        checked = imports.validate_row(row["values"], row["row"], by_field, context)
        rows.append({**checked.cleaned, "id": None, "unlock_code": checked.cleaned.get("unlock_code", "")})
    return rows


def draft_rows(order: Order) -> list[dict]:
    """Rows of the draft's confirmed imports: they become devices when the draft is submitted."""
    batches = db.session.scalars(select(ImportBatch).where(
        ImportBatch.order_id == order.id, ImportBatch.state == ImportState.CONFIRMED).order_by(ImportBatch.id))
    return [row for batch in batches for row in confirmed_rows(batch)]


def imports_of(order: Order) -> list[ImportBatch]:
    return list(db.session.scalars(select(ImportBatch).where(
        ImportBatch.order_id == order.id, ImportBatch.state != ImportState.DISCARDED).order_by(ImportBatch.id)))


def discard_import(batch: ImportBatch, *, actor: User) -> None:
    if batch.state == ImportState.CONFIRMED and batch.order.state != OrderState.DRAFT:
        raise DomainError(str(_l("These devices are already on the order.")))
    batch.state = ImportState.DISCARDED
