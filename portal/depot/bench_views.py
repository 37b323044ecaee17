"""The technician bench: the queue, scanning a tag to open a device, and the device's page with
its diagnosis checklist, the quote editor and the repair. Every form posts to a small endpoint
that calls portal.bench or portal.quotes, then redirects back (or shows the page again, with the
error beside its field and what was typed kept)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from portal import bench, deadlines, parts, photos, quotes, receiving, workflow
from portal.checklists import items_for
from portal.customer.forms import ConfirmForm
from portal.depot import bp
from portal.depot.stations import station_required
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import options, refuse
from portal.models import (
    ChecklistKind,
    CheckOutcome,
    Device,
    DeviceStatus,
    LineTier,
    PriceItem,
    PriceItemKind,
    QuoteLine,
    QuoteState,
    Role,
    StationKind,
    User,
    WorkKind,
)

S = DeviceStatus
ROLES = (Role.TECHNICIAN, Role.SUPERVISOR, Role.ADMIN)
TIERS = [(LineTier.REQUIRED.value, _l("Required")), (LineTier.RECOMMENDED.value, _l("Recommended"))]
OUTCOMES = [(CheckOutcome.PASS.value, _l("Pass")), (CheckOutcome.FAIL.value, _l("Fail")),
            (CheckOutcome.NOT_APPLICABLE.value, _l("n.a."))]


def _is_fetch() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


# -- forms ---------------------------------------------------------------------------------------

class PriceLineForm(FlaskForm):
    code = StringField(_l("Price-list item"), validators=[InputRequired(_l("Type a code or choose an item.")),
                                                          Length(max=400)],
                       description=_l("Type the code (the list suggests as you type) or choose from it."))
    tier = RadioField(_l("Tier"), choices=options(TIERS), default=LineTier.REQUIRED.value)
    quantity = StringField(_l("Quantity"), default="1", validators=[InputRequired(_l("Fill in the quantity."))])


class FreeLineForm(FlaskForm):
    description = StringField(_l("Description"), validators=[Length(max=300)])
    kind = SelectField(_l("Kind"), choices=options([(PriceItemKind.LABOUR.value, _l("Labour")),
                                                    (PriceItemKind.PART.value, _l("Part"))]))
    unit_price = StringField(_l("Unit price (net)"))
    free_quantity = StringField(_l("Quantity"), default="1")
    free_tier = RadioField(_l("Tier"), choices=options(TIERS), default=LineTier.REQUIRED.value)
    reason = TextAreaField(_l("Why not from the price list"), validators=[Length(max=2000)])


class FindingsForm(FlaskForm):
    findings = TextAreaField(_l("Findings"), validators=[Length(max=10000)],
                             description=_l("What you found: the customer reads this with the quote."))


class WarrantyForm(FlaskForm):
    verdict = RadioField(_l("Warranty"), choices=options([("confirm", _l("Confirm the warranty")),
                                                          ("reject", _l("Reject the warranty"))]),
                         validators=[InputRequired(_l("Confirm or reject the warranty."))])
    warranty_note = TextAreaField(_l("Reason the customer sees"), validators=[Length(max=2000)],
                                  description=_l("Needed when you reject it."))


class OutcomeForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class NoFaultForm(FlaskForm):
    note = TextAreaField(_l("What you tested"), validators=[Length(max=2000)])


class WorkForm(FlaskForm):
    minutes = IntegerField(_l("Minutes worked"), validators=[
        InputRequired(_l("Fill in the minutes.")), NumberRange(1, bench.MAX_MINUTES)])
    work_note = TextAreaField(_l("What you did"), validators=[Length(max=5000)])
    kind = HiddenField(default=WorkKind.REPAIR.value)


class ReassignForm(FlaskForm):
    technician = SelectField(_l("Technician"), choices=[], validators=[InputRequired()])


class ChecksForm:
    """The checklist as rows of radio buttons and notes; errors per item, what was typed kept."""

    def __init__(self, items, formdata=None, recorded=None):
        self.items = items
        self.errors: dict[int, str] = {}
        self.values: dict[int, tuple[str, str]] = {}
        if formdata is not None:
            for index, _item in enumerate(items):
                self.values[index] = (formdata.get(f"outcome-{index}", ""), formdata.get(f"note-{index}", ""))
        elif recorded:
            by_text = {r.item_text: r for r in recorded}
            for index, item in enumerate(items):
                if item.text in by_text:
                    self.values[index] = (by_text[item.text].outcome.value, by_text[item.text].note)

    def results(self):
        return [(item.text, *self.values.get(index, ("", ""))) for index, item in enumerate(self.items)]

    def refuse(self, error: DomainError) -> None:
        db.session.rollback()
        if error.field and error.field.startswith("check-"):
            self.errors[int(error.field.split("-")[1])] = error.message
        else:
            flash(error.message, "error")


# -- loading -------------------------------------------------------------------------------------

def _station():
    return station_required(StationKind.BENCH, *ROLES)


def _device(device_id: int) -> Device:
    return db.get_or_404(Device, device_id)


def _post_ok() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _back(device: Device, anchor: str = ""):
    return redirect(url_for("depot.bench_device", device_id=device.id) + (f"#{anchor}" if anchor else ""))


def price_list() -> list[PriceItem]:
    return list(db.session.scalars(select(PriceItem).where(PriceItem.is_active.is_(True)).order_by(PriceItem.code)))


def _price_item(text: str) -> PriceItem | None:
    """"P-SCR" or "P-SCR — Screen" (as the suggestion list fills it in)."""
    code = text.split(" — ")[0].strip()
    if not code:
        return None
    return db.session.scalars(select(PriceItem).where(func.upper(PriceItem.code) == code.upper())).first()


# -- the queue -------------------------------------------------------------------------------------

def find_by_tag(code: str) -> Device | None:
    code = code.strip().upper()
    return db.session.scalars(select(Device).where(Device.tag_code == code)).first() if code else None


@bp.route("/bench", methods=["GET", "POST"], endpoint="bench")
def bench_queue():
    station = _station()
    message = None
    if request.method == "POST":
        _post_ok()
        code = request.form.get("code", "")
        device = find_by_tag(code)
        if device is None:
            message = ("error", _("No device has the tag “%(code)s”.", code=code.strip()[:40]))
        else:
            target = url_for("depot.bench_device", device_id=device.id)
            if _is_fetch():
                return {"level": "success", "message": _("Opening %(tag)s…", tag=device.tag_code),
                        "reload": False, "open": target}
            return redirect(target)
        if _is_fetch():
            return {"level": message[0], "message": message[1], "reload": False}
    # Devices received since the last run of the jobs get their technician now, not a minute later;
    # the receiving scan itself stays as fast as a scanner needs.
    if bench.assign_unassigned():
        db.session.commit()
    is_supervisor = current_user.has_role(Role.SUPERVISOR, Role.ADMIN)
    people = bench.technicians()
    queues = [(person, bench.queue(person)) for person in people] if is_supervisor else []
    mine = bench.queue(current_user) if current_user.has_role(Role.TECHNICIAN) else []
    unassigned = bench.unassigned() if is_supervisor else []
    dues = deadlines.due_by_device({d.id for d in [*mine, *unassigned, *(d for _p, q in queues for d in q)]})
    mine, unassigned = deadlines.overdue_first(mine, dues), deadlines.overdue_first(unassigned, dues)
    queues = [(person, deadlines.overdue_first(devices, dues)) for person, devices in queues]
    reassign_form = ReassignForm(formdata=None)
    reassign_form.technician.choices = options([(str(p.id), p.name) for p in people])
    return render_template(
        "depot/bench.html", station=station, form=ConfirmForm(), message=message, mine=mine, queues=queues,
        unassigned=unassigned, is_supervisor=is_supervisor, dues=dues,
        reassign_form=reassign_form, titles=workflow.STATUS_TITLES, is_express=bench.is_express,
        loads=bench.loads(), people=people,
    ), 422 if message else 200


@bp.route("/bench/devices/<int:device_id>/reassign", methods=["POST"], endpoint="bench_reassign")
def bench_reassign(device_id):
    _station()
    device = _device(device_id)
    form = ReassignForm()
    form.technician.choices = options([(str(p.id), p.name) for p in bench.technicians()])
    if not form.validate_on_submit():
        flash(_("Choose a technician."), "error")
        return redirect(url_for("depot.bench"))
    technician = db.get_or_404(User, int(form.technician.data))
    try:
        bench.reassign(device, technician, actor=current_user)
    except DomainError as error:
        refuse(None, error)
    else:
        db.session.commit()
        flash(_("%(tag)s is now %(name)s's.", tag=device.tag_code, name=technician.name), "success")
    return redirect(request.form.get("back") == "device" and url_for("depot.bench_device", device_id=device.id)
                    or url_for("depot.bench"))


# -- the device page -------------------------------------------------------------------------------

def _device_page(device: Device, station, *, status: int = 200, **given):
    """The device's bench page; `given` replaces a default form (one sent back with errors)."""
    draft = quotes.latest(device)
    draft = draft if draft is not None and draft.state == QuoteState.DRAFT else None
    sent = quotes.latest(device, sent_only=True)
    diagnosis_items = items_for(device.category, ChecklistKind.DIAGNOSIS)
    forms = {
        "checks": ChecksForm(diagnosis_items, recorded=bench.results(device, ChecklistKind.DIAGNOSIS)),
        "price_line": PriceLineForm(formdata=None),
        "free_line": FreeLineForm(formdata=None),
        "findings": FindingsForm(formdata=None, data={"findings": (draft or sent).findings if (draft or sent) else ""}),
        "warranty": WarrantyForm(formdata=None, data={"warranty_note": device.warranty_note}),
        "beyond": OutcomeForm(formdata=None, prefix="beyond"),
        "no_fault": NoFaultForm(formdata=None),
        "work": WorkForm(formdata=None, data={"kind": (WorkKind.DIAGNOSIS if device.status == S.DIAGNOSIS
                                                      else WorkKind.REPAIR).value}),
        "reassign": ReassignForm(formdata=None, data={"technician": str(device.technician_id or "")}),
    }
    forms.update(given)
    people = bench.technicians()
    forms["reassign"].technician.choices = options([(str(p.id), p.name) for p in people])
    may_work = quotes.may_work_on(current_user, device)
    quote = draft or sent
    return render_template(
        "depot/bench_device.html", device=device, station=station, titles=workflow.STATUS_TITLES,
        path=workflow.path_of(device), usual=workflow.USUAL_PATH, times=workflow.stage_times(device),
        repeat_note=receiving.repeat_note(device), photos=photos.photos_of(device),
        unlock_code=bench.unlock_code_for(device, current_user), may_work=may_work,
        is_supervisor=current_user.has_role(Role.SUPERVISOR, Role.ADMIN),
        draft=draft, quote=quote, revisions=quotes.revisions(device),
        totals={variant: quotes.variant_totals(quote, variant) for variant in ("required", "recommended")}
        if quote else {},
        declined=quotes.declined_before(device), price_list=price_list(),
        accepted=bench.accepted_lines(device), work=bench.work_entries(device),
        reserved=_reservations(device), waiting=parts.waiting_for(device),
        diagnosis_rounds=bench.rounds(device, ChecklistKind.DIAGNOSIS),
        outcomes=OUTCOMES, action_form=ConfirmForm(), **{f"{name}_form": form for name, form in forms.items()},
    ), status


def _reservations(device: Device):
    from portal.models import PartReservation

    return list(db.session.scalars(select(PartReservation).where(PartReservation.device_id == device.id)
                                   .order_by(PartReservation.id)))


@bp.route("/bench/devices/<int:device_id>", endpoint="bench_device")
def bench_device(device_id):
    station = _station()
    return _device_page(_device(device_id), station)


def _done(device: Device, message: str, anchor: str = ""):
    db.session.commit()
    flash(message, "success")
    return _back(device, anchor)


@bp.route("/bench/devices/<int:device_id>/start", methods=["POST"], endpoint="bench_start")
def bench_start(device_id):
    station = _station()
    device = _device(device_id)
    _post_ok()
    try:
        bench.start_diagnosis(device, actor=current_user, station=station.name)
    except DomainError as error:
        refuse(None, error)
        return _back(device)
    return _done(device, _("Diagnosis of %(tag)s started.", tag=device.tag_code), "checklist")


@bp.route("/bench/devices/<int:device_id>/checks", methods=["POST"], endpoint="bench_checks")
def bench_checks(device_id):
    station = _station()
    device = _device(device_id)
    _post_ok()
    form = ChecksForm(items_for(device.category, ChecklistKind.DIAGNOSIS), formdata=request.form)
    try:
        number = bench.record_checks(device, ChecklistKind.DIAGNOSIS, form.results(), actor=current_user)
    except DomainError as error:
        form.refuse(error)
        return _device_page(device, station, status=422, checks=form)
    return _done(device, _("Checklist recorded (round %(round)d).", round=number), "checklist")


def _draft(device: Device):
    return quotes.draft_for(device, actor=current_user)


@bp.route("/bench/devices/<int:device_id>/findings", methods=["POST"], endpoint="bench_findings")
def bench_findings(device_id):
    station = _station()
    device = _device(device_id)
    form = FindingsForm()
    if form.validate_on_submit():
        try:
            quotes.set_findings(_draft(device), form.findings.data or "", actor=current_user)
        except DomainError as error:
            refuse(form, error)
        else:
            return _done(device, _("Findings saved."), "quote")
    return _device_page(device, station, status=422, findings=form)


@bp.route("/bench/devices/<int:device_id>/quote/lines", methods=["POST"], endpoint="bench_quote_line")
def bench_quote_line(device_id):
    station = _station()
    device = _device(device_id)
    form = PriceLineForm()
    if form.validate_on_submit():
        item = _price_item(form.code.data)
        if item is None:
            form.code.errors = [_("No price-list item has the code “%(code)s”.", code=form.code.data.strip()[:40])]
        else:
            try:
                line = quotes.add_line(_draft(device), actor=current_user, tier=form.tier.data,
                                       quantity=form.quantity.data, item=item)
            except DomainError as error:
                if error.field == "item":
                    error.field = "code"
                refuse(form, error)
            else:
                return _done(device, _("Added %(code)s %(description)s (%(tier)s).", code=line.code,
                                       description=line.description, tier=dict(TIERS)[line.tier]), "quote")
    return _device_page(device, station, status=422, price_line=form)


@bp.route("/bench/devices/<int:device_id>/quote/free-lines", methods=["POST"], endpoint="bench_free_line")
def bench_free_line(device_id):
    station = _station()
    device = _device(device_id)
    form = FreeLineForm()
    if form.validate_on_submit():
        try:
            line = quotes.add_line(_draft(device), actor=current_user, tier=form.free_tier.data,
                                   quantity=form.free_quantity.data, description=form.description.data or "",
                                   unit_price=form.unit_price.data, kind=form.kind.data, reason=form.reason.data or "")
        except DomainError as error:
            error.field = {"quantity": "free_quantity"}.get(error.field, error.field)
            refuse(form, error)
        else:
            return _done(device, _("Added the line “%(description)s”.", description=line.description), "quote")
    return _device_page(device, station, status=422, free_line=form)


@bp.route("/bench/devices/<int:device_id>/quote/lines/<int:line_id>/remove", methods=["POST"],
          endpoint="bench_remove_line")
def bench_remove_line(device_id, line_id):
    _station()
    device = _device(device_id)
    _post_ok()
    line = db.get_or_404(QuoteLine, line_id)
    if line.quote.device_id != device.id:
        abort(404)
    try:
        quotes.remove_line(line.quote, line, actor=current_user)
    except DomainError as error:
        refuse(None, error)
        return _back(device, "quote")
    return _done(device, _("Removed “%(description)s”.", description=line.description), "quote")


@bp.route("/bench/devices/<int:device_id>/quote/send", methods=["POST"], endpoint="bench_send_quote")
def bench_send_quote(device_id):
    station = _station()
    device = _device(device_id)
    _post_ok()
    try:
        quote = quotes.send(_draft(device), actor=current_user, station=station.name)
    except DomainError as error:
        refuse(None, error)
        return _back(device, "quote")
    if device.status == S.AWAITING_APPROVAL:
        message = _("Quote revision %(revision)d sent: the customer's approvers get an e-mail.",
                    revision=quote.revision)
    else:
        message = _("Quote revision %(revision)d approved by the company's policy: %(tag)s is “%(status)s”.",
                    revision=quote.revision, tag=device.tag_code, status=workflow.title(device.status))
    return _done(device, message)


@bp.route("/bench/devices/<int:device_id>/warranty", methods=["POST"], endpoint="bench_warranty")
def bench_warranty(device_id):
    station = _station()
    device = _device(device_id)
    form = WarrantyForm()
    if form.validate_on_submit():
        confirmed = form.verdict.data == "confirm"
        try:
            bench.confirm_warranty(device, actor=current_user, confirmed=confirmed,
                                   note=form.warranty_note.data or "")
        except DomainError as error:
            refuse(form, error)
        else:
            return _done(device, _("Warranty confirmed.") if confirmed else _("Warranty rejected."), "outcome")
    return _device_page(device, station, status=422, warranty=form)


@bp.route("/bench/devices/<int:device_id>/outcome", methods=["POST"], endpoint="bench_outcome")
def bench_outcome(device_id):
    """How the diagnosis ends without a quote: warranty repair, beyond repair, no fault found."""
    station = _station()
    device = _device(device_id)
    outcome = request.form.get("outcome")
    if outcome == "warranty_repair":
        _post_ok()
        try:
            bench.warranty_repair(device, actor=current_user, station=station.name)
        except DomainError as error:
            refuse(None, error)
            return _back(device, "outcome")
        return _done(device, _("%(tag)s goes to repair under warranty, at no charge.", tag=device.tag_code))
    if outcome == "beyond_repair":
        form = OutcomeForm(prefix="beyond")
        if form.validate_on_submit():
            try:
                bench.beyond_repair(device, actor=current_user, reason=form.reason.data or "",
                                    station=station.name)
            except DomainError as error:
                refuse(form, error)
            else:
                return _done(device, _("%(tag)s is beyond repair and goes back to the customer.",
                                       tag=device.tag_code))
        return _device_page(device, station, status=422, beyond=form)
    if outcome == "no_fault_found":
        form = NoFaultForm()
        if form.validate_on_submit():
            try:
                bench.no_fault_found(device, actor=current_user, note=form.note.data or "", station=station.name)
            except DomainError as error:
                refuse(form, error)
            else:
                return _done(device, _("No fault found in %(tag)s: it goes back to the customer.",
                                       tag=device.tag_code))
        return _device_page(device, station, status=422, no_fault=form)
    abort(400)


@bp.route("/bench/devices/<int:device_id>/work", methods=["POST"], endpoint="bench_work")
def bench_work(device_id):
    station = _station()
    device = _device(device_id)
    form = WorkForm()
    if form.validate_on_submit():
        try:
            done = [int(value) for value in request.form.getlist("done")]
        except ValueError:
            abort(400)
        try:
            bench.record_work(device, actor=current_user, minutes=form.minutes.data, note=form.work_note.data or "",
                              kind=form.kind.data or WorkKind.REPAIR, line_ids_done=done)
        except DomainError as error:
            refuse(form, error)
        else:
            return _done(device, _("Recorded %(minutes)d minutes.", minutes=form.minutes.data), "repair")
    return _device_page(device, station, status=422, work=form)


@bp.route("/bench/devices/<int:device_id>/wipe", methods=["POST"], endpoint="bench_wipe")
def bench_wipe(device_id):
    _station()
    device = _device(device_id)
    _post_ok()
    try:
        bench.record_wipe(device, actor=current_user)
    except DomainError as error:
        refuse(None, error)
        return _back(device)
    return _done(device, _("The data wipe of %(tag)s is recorded.", tag=device.tag_code))


@bp.route("/bench/devices/<int:device_id>/photos", methods=["POST"], endpoint="bench_photos")
def bench_photos(device_id):
    """Photos of what the technician found; each file is checked on its content, the good ones kept."""
    station = _station()
    device = _device(device_id)
    _post_ok()
    if not quotes.may_work_on(current_user, device):
        abort(403)
    files = [f for f in request.files.getlist("photo") if f.filename]
    if not files:
        flash(_("Choose one or more photos."), "error")
        return _back(device, "photos")
    stored = 0
    for upload in files:
        try:
            photos.add_diagnosis_photo(device, upload.read(), actor=current_user, station=station.name)
            db.session.commit()
            stored += 1
        except DomainError as error:
            db.session.rollback()
            flash(f"{upload.filename[:80]}: {error.message}", "error")
    if stored:
        flash(ngettext("%(num)d photo stored.", "%(num)d photos stored.", stored), "success")
    return _back(device, "photos")


@bp.route("/bench/devices/<int:device_id>/finish", methods=["POST"], endpoint="bench_finish")
def bench_finish(device_id):
    station = _station()
    device = _device(device_id)
    _post_ok()
    try:
        bench.finish_repair(device, actor=current_user, station=station.name)
    except DomainError as error:
        refuse(None, error)
        return _back(device, "repair")
    db.session.commit()
    flash(_("Repair of %(tag)s finished: it goes to the quality check.", tag=device.tag_code), "success")
    return redirect(url_for("depot.bench"))

