"""Demo data that shows every feature with a login; loading it twice changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal import accounts, assignment, second_factor, staff
from portal.dbbase import utcnow
from portal.extensions import db
from portal.models import Announcement, AssignmentRule, Company, ReturnAddress, Role, SizeBand, User

DEMO_PASSWORD = "demo-depot-2026"
#: Admins and account managers sign in with a second factor: in the demo their authenticator is set
#: up with this key (printed beside their logins), so an app, or `oathtool --totp -b KEY`, gives the code.
DEMO_TOTP_SECRET = "DEPOTDEMOTOTPKEYDEPOTDEMOTOTPKEY"

STAFF = [
    ("Ada Admin", "admin@depot.example", [Role.ADMIN]),
    ("Marek Manager", "manager.pl@depot.example", [Role.ACCOUNT_MANAGER]),
    ("Greta Manager", "manager.de@depot.example", [Role.ACCOUNT_MANAGER]),
    ("Clara Care", "care@depot.example", [Role.CUSTOMER_CARE]),
    ("Sam Supervisor", "supervisor@depot.example", [Role.SUPERVISOR]),
    ("Rita Receiving", "receiving@depot.example", [Role.RECEIVING]),
    ("Piotr Photo", "photo@depot.example", [Role.PHOTO_BOOTH]),
    ("Tomasz Technician", "technician@depot.example", [Role.TECHNICIAN]),
    ("Tess Tester", "tester@depot.example", [Role.TESTER]),
    ("Dan Dispatch", "dispatch@depot.example", [Role.DISPATCH, Role.RECEIVING]),
]

COMPANIES = [
    {
        "company": dict(legal_name="Nordlog Logistyka Sp. z o.o.", tax_id="PL5260001234", country="PL",
                        region="Pomorskie", industry="logistics", size_band=SizeBand.LARGE,
                        street="ul. Portowa 12", postcode="80-001", city="Gdańsk", phone="+48 58 123 45 67"),
        "admin": ("Olga Office", "olga@nordlog.example"),
        "colleagues": [
            ("Kasia Colleague (sees colleagues' orders)", "kasia@nordlog.example",
             {"can_see_colleagues_orders": True, "can_see_invoices": True}),
            ("Jan Own-orders-only", "jan@nordlog.example", {}),
        ],
        "addresses": [("Warehouse Łódź", "Nordlog magazyn", "ul. Składowa 5", "90-001", "Łódź")],
    },
    {
        "company": dict(legal_name="Baumarkt Technik GmbH", tax_id="DE811234567", country="DE",
                        region="Bayern", industry="retail", size_band=SizeBand.ENTERPRISE,
                        street="Industriestraße 7", postcode="80331", city="München", phone="+49 89 1234567"),
        "admin": ("Bernd Buyer", "bernd@baumarkt.example"),
        "colleagues": [
            ("Heike Invoices", "heike@baumarkt.example", {"can_see_invoices": True, "can_manage_company": True}),
        ],
        "addresses": [("Filiale Berlin", "Baumarkt Technik Filiale", "Alexanderplatz 3", "10178", "Berlin")],
    },
]


def _confirm_with_password(user: User) -> None:
    accounts.set_password(user, DEMO_PASSWORD)
    user.confirmed_at = user.confirmed_at or utcnow()


def load_demo() -> list[tuple[str, str]]:
    """Create what is missing; return (who, e-mail) for every demo login."""
    logins: list[tuple[str, str]] = []
    for name, email, roles in STAFF:
        if not accounts.email_taken(email):
            person = staff.create_staff(email=email, name=name, roles=roles, password=DEMO_PASSWORD)
            if second_factor.needs_second_factor(person):
                second_factor.enrol_known_secret(person, DEMO_TOTP_SECRET)
        who = f"{name} ({', '.join(r.value for r in roles)})"
        if any(role in second_factor.ROLES_THAT_NEED_IT for role in roles):
            who = f"{name} ({', '.join(r.value for r in roles)}; authenticator key {DEMO_TOTP_SECRET})"
        logins.append((who, email))

    managers = {u.email: u for u in assignment.active_managers()}
    if db.session.scalar(select(AssignmentRule.id).limit(1)) is None:
        assignment.save_rule({"name": "Poland", "priority": 10, "country": "PL"},
                             [managers["manager.pl@depot.example"]])
        assignment.save_rule({"name": "German-speaking retail", "priority": 20, "country": "DE",
                              "industry": "retail"}, [managers["manager.de@depot.example"]])

    for spec in COMPANIES:
        admin_name, admin_email = spec["admin"]
        company = db.session.scalar(select(Company).where(Company.tax_id == spec["company"]["tax_id"]))
        if company is None:
            admin = accounts.register_company(
                company=dict(spec["company"]),
                user={"name": admin_name, "email": admin_email, "password": DEMO_PASSWORD},
                language="en",
            )
            _confirm_with_password(admin)
            company = admin.company
            for label, recipient, street, postcode, city in spec["addresses"]:
                db.session.add(ReturnAddress(company=company, label=label, recipient=recipient,
                                             street=street, postcode=postcode, city=city,
                                             country=company.country))
            for name, email, rights in spec["colleagues"]:
                colleague = accounts.invite_colleague(company, actor=admin, name=name, email=email,
                                                      rights=rights)
                _confirm_with_password(colleague)
        logins.append((f"{admin_name}, {company.legal_name} (all rights)", admin_email))
        for name, email, _rights in spec["colleagues"]:
            logins.append((f"{name}, {company.legal_name}", email))

    _load_demo_stations()
    db.session.flush()
    _load_demo_orders()

    if db.session.scalar(select(Announcement.id).limit(1)) is None:
        today = date.today()
        db.session.add(Announcement(
            title="Holiday opening hours",
            body="The depot receives parcels every weekday until 24 December. "
                 "Devices sent after that are repaired from 2 January.",
            starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=60),
        ))
    db.session.flush()
    return logins


CATEGORIES = ["Laptop", "Handheld terminal", "Label printer", "Barcode scanner", "Tablet", "Power tool",
              "Cordless drill", "Mobile printer"]

DEMO_DEVICES = [
    ("Handheld terminal", "Zebra", "TC52", "21045522010123", "NL-0231", "Screen cracked in the upper left corner"),
    ("Handheld terminal", "Honeywell", "CT60", "19276B0412", "NL-0232", "Battery drains within two hours"),
    ("Label printer", "Zebra", "ZD421", "D8N213301187", "NL-0410", "Prints faded labels, head clicks"),
    ("Laptop", "Dell", "Latitude 5430", "7H2KXQ3", "NL-1107", "Keyboard: keys E and R do not respond"),
    ("Barcode scanner", "Datalogic", "Gryphon GD4500", "G19A04211", "NL-0522", "Does not read 2D codes"),
]


def _demo_rows(start: int, count: int, categories: dict, boxes: int = 1) -> list[dict]:
    rows = []
    for n in range(count):
        category, maker, model, serial, asset, fault = DEMO_DEVICES[(start + n) % len(DEMO_DEVICES)]
        rows.append({
            "id": None, "category_id": categories[category].id, "manufacturer": maker, "model": model,
            "serial_number": f"{serial}{start + n}", "asset_tag": f"{asset}-{start + n}",
            "fault_description": fault, "warranty_claimed": n % 3 == 0,
            "purchase_date": date.today() - timedelta(days=200 + 30 * n) if n % 3 == 0 else None,
            "accessories": "Charger" if n % 2 else "", "box_number": (n % boxes) + 1 if boxes > 1 else None,
            "unlock_code": "1234" if n == 0 else "", "data_wipe_allowed": n % 2 == 0,
        })
    return rows


SITES = ["Warehouse Gdańsk", "Store Kraków", "Head office Warsaw"]


def _demo_custom_fields():
    """The admins' own fields: a required cost centre per order, a site and a lease end per device."""
    from portal import custom_fields
    from portal.models import CustomField, CustomFieldKind, CustomFieldTarget

    wanted = [(CustomFieldTarget.ORDER, "Cost centre", CustomFieldKind.TEXT, "", True,
               "Your cost centre, for the invoice's reference."),
              (CustomFieldTarget.DEVICE, "Site", CustomFieldKind.CHOICE, "\n".join(SITES), False,
               "Where the device is used."),
              (CustomFieldTarget.DEVICE, "Lease end", CustomFieldKind.DATE, "", False, "")]
    fields = []
    for target, label, kind, choices, required, hint in wanted:
        field = db.session.scalar(select(CustomField).where(CustomField.target == target,
                                                            CustomField.label == label))
        fields.append(field or custom_fields.save_field(None, target=target, label=label, kind=kind, choices=choices,
                                                        help_text=hint, is_required=required, is_active=True))
    return fields


def _load_demo_orders() -> None:
    """Orders in every state a newcomer should see: draft, submitted, returned, accepted, received, cancelled."""
    from portal import orders, workflow
    from portal.models import DeviceCategory, DeviceStatus, Order

    categories = {}
    for name in CATEGORIES:
        category = db.session.scalar(select(DeviceCategory).where(DeviceCategory.name == name))
        if category is None:
            category = DeviceCategory(name=name)
            db.session.add(category)
        categories[name] = category
    db.session.flush()
    if db.session.scalar(select(Order.id).limit(1)) is not None:
        return

    def user(email):
        return db.session.scalar(select(User).where(User.email == email))

    olga, jan, bernd = user("olga@nordlog.example"), user("jan@nordlog.example"), user("bernd@baumarkt.example")
    care, receiving = user("care@depot.example"), user("receiving@depot.example")
    manager = user("manager.pl@depot.example")

    cost_centre, site, lease_end = _demo_custom_fields()

    def submitted(owner, start, count, boxes=1, po="", actor=None):
        order = orders.start_draft(owner.company, owner=owner, actor=actor or owner)
        rows = _demo_rows(start, count, categories, boxes)
        for n, row in enumerate(rows):
            row["custom"] = {str(site.id): SITES[(start + n) % len(SITES)]}
            if n % 2 == 0:
                row["custom"][str(lease_end.id)] = (date.today() + timedelta(days=90 + 30 * n)).isoformat()
        data = {"return_address_id": order.return_address_id, "contact_name": owner.name,
                "contact_phone": "+48 600 100 200", "contact_email": owner.email, "po_reference": po,
                "service_level": "standard", "note": "", "box_count": boxes, "devices": rows,
                "custom": {str(cost_centre.id): f"CC-{4700 + start}"}}
        return orders.submit_order(order, data, actor=actor or owner)

    submitted(olga, 0, 6, boxes=2, po="PO-2026-118")
    accepted = submitted(olga, 10, 3, po="PO-2026-120")
    orders.accept_order(accepted, {}, actor=care)
    arrived = submitted(olga, 20, 4, po="PO-2026-097")
    orders.accept_order(arrived, {}, actor=care)
    for device in arrived.devices[:2]:
        workflow.move(device, DeviceStatus.RECEIVED, actor=receiving, station="Receiving 1")
    returned = submitted(jan, 30, 2)
    orders.return_order(returned, "The serial number of the Dell laptop has a letter missing: "
                                  "please check the plate under the battery.", actor=care)
    submitted(bernd, 40, 3, po="BM-4471", actor=manager)
    cancelled = submitted(bernd, 50, 1)
    orders.cancel_order(cancelled, actor=bernd)
    draft = orders.start_draft(olga.company, owner=olga, actor=olga)
    orders.save_draft(draft, {"contact_name": olga.name, "box_count": "1", "devices-0-manufacturer": "Zebra",
                              "devices-0-model": "TC21", "devices-0-serial_number": "",
                              "devices-0-fault_description": "Half typed: finish me"}, actor=olga)
    db.session.flush()
    _demo_import(draft, olga)
    _demo_depot_flow(submitted, user)
    _demo_bench(submitted, user, categories)


def demo_photo(title: str, shot: str, hue: int) -> bytes:
    """A stand-in for a booth photo: a coloured card with the device and shot written on it."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (960, 720), (40 + hue % 120, 70 + (hue * 3) % 100, 110 + (hue * 7) % 120))
    draw = ImageDraw.Draw(image)
    draw.rectangle((160, 120, 800, 600), outline=(255, 255, 255), width=6)
    draw.text((190, 150), title, fill=(255, 255, 255), font_size=44)
    draw.text((190, 520), shot, fill=(255, 255, 255), font_size=40)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _photograph(device, stage: str, hue: int, actor=None) -> None:
    """The shots a booth would take of the device at this stage, as stand-in pictures."""
    from portal import photos

    for shot in photos.shot_list(device.category)[:photos.needed()]:
        photos.add_photo(device, demo_photo(f"{device.manufacturer} {device.model}", f"{shot} · {stage}", hue),
                         stage=stage, shot=shot, actor=actor, station="Photo booth 1")


def _demo_depot_flow(submitted, user) -> None:
    """Devices at every station of this part of the depot: photographed at intake, beyond repair and
    waiting at dispatch, shipped in a parcel with a tracking number, delivered, a repeat repair, an
    order whose receiving was closed with a device missing and one found that was not on it."""
    from datetime import timedelta

    from portal import dispatch, orders, receiving, workflow
    from portal.dbbase import utcnow
    from portal.models import DeviceStatus, Station

    olga, bernd = user("olga@nordlog.example"), user("bernd@baumarkt.example")
    care, clerk, photographer = user("care@depot.example"), user("receiving@depot.example"), user("photo@depot.example")
    technician, tester, dispatcher = (user("technician@depot.example"), user("tester@depot.example"),
                                      user("dispatch@depot.example"))
    manager = user("manager.pl@depot.example")
    station = {name: db.session.scalar(select(Station).where(Station.name == name))
               for name in ("Receiving 1", "Photo booth 1", "Dispatch 1")}

    def photograph(device, stage, hue):
        _photograph(device, stage, hue, actor=photographer)

    def to_ready(device, *, repaired: bool, hue: int):
        receiving.scan(device.tag_code, actor=clerk, station=station["Receiving 1"], current=None)
        photograph(device, "intake", hue)
        device.technician_id = technician.id
        workflow.move(device, DeviceStatus.DIAGNOSIS, actor=technician, station="Bench 1")
        if repaired:
            workflow.move(device, DeviceStatus.REPAIR, actor=technician, station="Bench 1",
                          note="Warranty confirmed: display replaced")
            workflow.move(device, DeviceStatus.QUALITY_CHECK, actor=technician, station="Bench 1")
            workflow.move(device, DeviceStatus.READY_TO_SHIP, actor=tester, station="Quality check 1")
        else:
            workflow.move(device, DeviceStatus.BEYOND_REPAIR, actor=technician, station="Bench 1",
                          note="Main board corroded by liquid: repair would cost more than a new device")
            workflow.move(device, DeviceStatus.READY_TO_SHIP, actor=dispatcher, station="Dispatch 1")

    through = submitted(olga, 60, 5, po="PO-2026-085")
    orders.accept_order(through, {}, actor=care)
    shipped_back, delivered, beyond, in_diagnosis, waiting_photos = through.devices
    for hue, device in enumerate((shipped_back, delivered, beyond)):
        to_ready(device, repaired=device is not beyond, hue=hue * 40)
    receiving.scan(in_diagnosis.tag_code, actor=clerk, station=station["Receiving 1"], current=None)
    photograph(in_diagnosis, "intake", 200)
    in_diagnosis.technician_id = technician.id
    workflow.move(in_diagnosis, DeviceStatus.DIAGNOSIS, actor=technician, station="Bench 1")
    receiving.scan(waiting_photos.tag_code, actor=clerk, station=station["Receiving 1"], current=None)

    # Two parcels back: one delivered a while ago, one on its way with a DHL tracking number.
    for device, tracking in ((delivered, "JJD000390007789321"), (shipped_back, "00340434161094042557")):
        photograph(device, "dispatch", 90)
        dispatch.scan(device.tag_code, actor=dispatcher, station=station["Dispatch 1"], parcel=None)
        parcel = device.parcel
        dispatch.set_carrier(parcel, "dhl", tracking, "", actor=dispatcher)
        dispatch.pick_up(parcel.code, actor=dispatcher, station=station["Dispatch 1"])
    dispatch.confirm_delivery(delivered.parcel, olga)
    # The beyond-repair device waits in an open parcel at dispatch, its photos still to take.
    dispatch.scan(beyond.tag_code, actor=dispatcher, station=station["Dispatch 1"], parcel=None)

    # The shipped device came back within the depot's repair warranty: a repeat repair.
    again = submitted(olga, 70, 1, po="PO-2026-131")
    again.devices[0].serial_number, again.devices[0].model = shipped_back.serial_number, shipped_back.model
    again.devices[0].manufacturer = shipped_back.manufacturer
    orders.accept_order(again, {}, actor=care)
    receiving.scan(again.devices[0].tag_code, actor=clerk, station=station["Receiving 1"], current=None)

    # Baumarkt's parcel: one device missing, one in the box that the order did not list.
    short = submitted(bernd, 80, 3, po="BM-4502", actor=manager)
    orders.accept_order(short, {}, actor=care)
    for device in short.devices[:2]:
        receiving.scan(device.tag_code, actor=clerk, station=station["Receiving 1"], current=None)
    receiving.add_unlisted_device(short, serial="CN0X7K2L4", manufacturer="Honeywell", model="CT40",
                                  note="Loose in the box, no paperwork", actor=clerk, station=station["Receiving 1"])
    receiving.close_receiving(short, actor=clerk, station=station["Receiving 1"])
    db.session.flush()
    # Back-date the first parcel so the demo shows a delivery a week ago.
    delivered.parcel.picked_up_at = utcnow() - timedelta(days=9)


def _demo_import(draft, owner) -> None:
    """A spreadsheet waiting in the draft's preview, one of its rows still to fix."""
    import io

    from openpyxl import Workbook

    from portal import order_imports

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "IT returns"
    sheet.append(["Laptops for repair, Nordlog IT"])
    sheet.append([])
    sheet.append(["Make", "Model", "Serial No.", "Problem", "Warranty?", "Date of purchase", "Asset"])
    sheet.append(["Lenovo", "ThinkPad T14", "PF3KX1A2", "Hinge broken", "yes", "2025-03-14", "NL-2001"])
    sheet.append(["Lenovo", "ThinkPad T14", "PF3KX1A3", "Battery swollen", "yes", "2025-03-14", "NL-2002"])
    sheet.append(["Dell", "Latitude 5440", None, "No power", "no", None, "NL-2003"])
    sheet.append(["HP", "EliteBook 840", "5CG3401XYZ", "Keyboard liquid damage", "no", None, "NL-2004"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    order_imports.start_import(draft, buffer.getvalue(), "laptops-from-it.xlsx", actor=owner)


def _load_demo_stations() -> None:
    from portal.models import Station, StationKind

    for name, kind in (("Receiving 1", StationKind.RECEIVING), ("Receiving 2", StationKind.RECEIVING),
                       ("Photo booth 1", StationKind.PHOTO_BOOTH), ("Bench 1", StationKind.BENCH),
                       ("Quality check 1", StationKind.QUALITY_CHECK), ("Dispatch 1", StationKind.DISPATCH)):
        if db.session.scalar(select(Station.id).where(Station.name == name)) is None:
            db.session.add(Station(name=name, kind=kind))


DEMO_PRICE_LIST = [
    # code, description, kind, unit price, unit cost, stock
    ("L-DIAG", "Diagnosis and test", "labour", "25.00", "10.00", 0),
    ("L-30", "Labour, 30 minutes", "labour", "30.00", "12.50", 0),
    ("L-CLEAN", "Internal cleaning and contact treatment", "labour", "18.00", "6.00", 0),
    ("P-TC52-DSP", "Zebra TC52 display assembly", "part", "142.00", "88.00", 4),
    ("P-TC52-BAT", "Zebra TC52 battery 4300 mAh", "part", "48.50", "21.00", 12),
    ("P-TC52-KEY", "Zebra TC52 keypad", "part", "36.00", "14.00", 0),
    ("P-CT60-BAT", "Honeywell CT60 battery", "part", "52.00", "24.00", 6),
    ("P-ZD421-HEAD", "Zebra ZD421 print head 203 dpi", "part", "119.00", "71.00", 2),
    ("P-LAT-KBD", "Dell Latitude 5430 keyboard", "part", "64.00", "31.00", 3),
    ("P-GD4500-WIN", "Datalogic Gryphon scan window", "part", "12.00", "3.50", 20),
]

DEMO_CHECKLISTS = {
    "diagnosis": ["Powers on and boots", "Display and touch", "Keys and buttons", "Battery holds its charge",
                  "Charging port and cradle contacts", "Scanner or camera reads codes", "Wi-Fi and Bluetooth"],
    "quality_check": ["Powers on, no error on boot", "Every key and button works", "Scans 1D and 2D codes",
                      "Charges in its cradle", "Housing closed, screws in place, clean"],
}


def _demo_bench(submitted, user, categories) -> None:
    """The bench: tax rates, a price list, checklists, the technician's skills, and devices at every
    step of this part: quotes waiting for the customer, a repair, one waiting for a part, one at
    the quality check."""
    from decimal import Decimal

    from portal import bench, orders, quotes, receiving, workflow
    from portal.models import ChecklistItem, Decision, DeviceStatus, PriceItem, Station, TaxRate, TechnicianSkill

    vat = TaxRate(name="VAT 23%", rate=Decimal("23.00"))
    db.session.add_all([vat, TaxRate(name="VAT 8%", rate=Decimal("8.00")),
                        TaxRate(name="Reverse charge 0%", rate=Decimal("0.00"), is_reverse_charge=True,
                                legal_note="Reverse charge: VAT to be accounted for by the recipient "
                                           "(Art. 196 of Council Directive 2006/112/EC).")])
    items = {}
    for code, description, kind, price, cost, stock in DEMO_PRICE_LIST:
        items[code] = PriceItem(code=code, description=description, kind=kind, unit_price=Decimal(price),
                                unit_cost=Decimal(cost), tax_rate=vat, stock=stock)
        db.session.add(items[code])
    for kind, texts in DEMO_CHECKLISTS.items():
        for position, text in enumerate(texts, start=1):
            db.session.add(ChecklistItem(category_id=None, kind=kind, position=position, text=text))
    technician = user("technician@depot.example")
    care, clerk = user("care@depot.example"), user("receiving@depot.example")
    olga = user("olga@nordlog.example")
    for category in ("Handheld terminal", "Laptop", "Label printer", "Barcode scanner"):
        db.session.add(TechnicianSkill(user_id=technician.id, category_id=categories[category].id))
    db.session.flush()
    station = db.session.scalar(select(Station).where(Station.name == "Receiving 1"))

    order = submitted(olga, 90, 5, po="PO-2026-140")
    orders.accept_order(order, {}, actor=care)
    for n, device in enumerate(order.devices):
        receiving.scan(device.tag_code, actor=clerk, station=station, current=None)
        device.technician_id = technician.id
        _photograph(device, "intake", 30 * n)
        workflow.move(device, DeviceStatus.DIAGNOSIS, actor=technician, station="Bench 1")
    waiting_a, waiting_b, repairing, parts_short, at_qc = order.devices

    def quote(device, required, recommended, findings):
        draft = quotes.draft_for(device, actor=technician)
        quotes.set_findings(draft, findings, actor=technician)
        for code, quantity in required:
            quotes.add_line(draft, actor=technician, tier="required", quantity=quantity, item=items[code])
        for code, quantity in recommended:
            quotes.add_line(draft, actor=technician, tier="recommended", quantity=quantity, item=items[code])
        quotes.send(draft, actor=technician, station="Bench 1")
        return draft

    quote(waiting_a, [("P-TC52-DSP", 1), ("L-30", 1)], [("P-TC52-BAT", 1), ("L-CLEAN", 1)],
          "Display glass and digitiser broken; battery at 61 % of its design capacity.")
    quote(waiting_b, [("P-CT60-BAT", 1), ("L-DIAG", 1)], [("L-CLEAN", 1)],
          "Battery swollen: replace at once. Charging contacts corroded.")
    accepted = quote(repairing, [("P-ZD421-HEAD", 1), ("L-30", 2)], [("L-CLEAN", 1)], "Print head worn out.")
    quotes.decide(accepted, actor=olga, choice=Decision.RECOMMENDED, revision=1, po_number="PO-2026-140")
    short = quote(parts_short, [("P-TC52-KEY", 1), ("L-30", 1)], [], "Keypad membrane torn; keys E and R dead.")
    quotes.decide(short, actor=olga, choice=Decision.REQUIRED, revision=1, po_number="PO-2026-140")
    done = quote(at_qc, [("P-GD4500-WIN", 1), ("L-30", 1)], [], "Scan window scratched: 2D codes unreadable.")
    quotes.decide(done, actor=olga, choice=Decision.REQUIRED, revision=1, po_number="PO-2026-140")
    for line in done.lines:
        line.done = True
    workflow.move(at_qc, DeviceStatus.QUALITY_CHECK, actor=technician, station="Bench 1", note="Window replaced")
    bench.assign_unassigned()  # received devices join the technician's queue
    _demo_invoiced(submitted, user, items)


def _demo_invoiced(submitted, user, items) -> None:
    """An order repaired, checked, shipped and invoiced, partly paid; and a device whose deadline is
    at risk and one overdue, for the account manager's desk."""
    from datetime import date, timedelta

    from portal import bench, dispatch, invoicing, orders, pricing, quotes, receiving, workflow
    from portal.dbbase import utcnow
    from portal.models import Decision, DeviceStatus, Order, Station, Transition

    olga, care, clerk = user("olga@nordlog.example"), user("care@depot.example"), user("receiving@depot.example")
    technician, tester = user("technician@depot.example"), user("tester@depot.example")
    dispatcher, admin = user("dispatch@depot.example"), user("admin@depot.example")
    station = {name: db.session.scalar(select(Station).where(Station.name == name))
               for name in ("Receiving 1", "Dispatch 1")}
    order = submitted(olga, 110, 2, po="PO-2026-102")
    orders.accept_order(order, {}, actor=care)
    for n, device in enumerate(order.devices):
        receiving.scan(device.tag_code, actor=clerk, station=station["Receiving 1"], current=None)
        device.technician_id = technician.id
        _photograph(device, "intake", 60 + 20 * n)
        workflow.move(device, DeviceStatus.DIAGNOSIS, actor=technician, station="Bench 1")
        draft = quotes.draft_for(device, actor=technician)
        quotes.add_line(draft, actor=technician, tier="required", quantity=1, item=items["P-TC52-BAT"])
        quotes.add_line(draft, actor=technician, tier="required", quantity=1, item=items["L-30"])
        quotes.add_line(draft, actor=technician, tier="recommended", quantity=1, item=items["L-CLEAN"])
        quotes.send(draft, actor=technician, station="Bench 1")
        quotes.decide(draft, actor=olga, choice=Decision.RECOMMENDED if n else Decision.REQUIRED, revision=1,
                      po_number="PO-2026-102")
        accepted = [line.id for line in draft.lines if line.accepted]
        bench.record_work(device, actor=technician, minutes=35, note="Battery replaced, contacts cleaned",
                          line_ids_done=accepted)
        bench.finish_repair(device, actor=technician, station="Bench 1")
        workflow.move(device, DeviceStatus.READY_TO_SHIP, actor=tester, station="Quality check 1", note="Passed")
        _photograph(device, "dispatch", 150)
        dispatch.scan(device.tag_code, actor=dispatcher, station=station["Dispatch 1"],
                      parcel=order.devices[0].parcel if n else None)
    parcel = order.devices[0].parcel
    dispatch.set_carrier(parcel, "dpd", "01234567890123", "", actor=dispatcher)
    dispatch.pick_up(parcel.code, actor=dispatcher, station=station["Dispatch 1"])
    invoice = db.session.scalars(invoicing.office_invoices().limit(1)).first()
    if invoice is not None:  # paid in part: the customer sees what is left
        invoicing.record_payment(invoice, str(pricing.money(invoice.gross / 2)), date.today(), "Transfer 2026/11/0042",
                                 actor=admin)

    # The desk's deadlines: one device received days ago still waiting at the bench (overdue), one
    # received the day before yesterday (at risk); and an order whose parcel never came.
    received = db.session.scalars(select(Transition).where(Transition.to_status == DeviceStatus.RECEIVED)
                                  .order_by(Transition.id).limit(2)).all()
    for transition, age in zip(received, (timedelta(days=6), timedelta(hours=41)), strict=False):
        transition.at = utcnow() - age
    waiting = db.session.scalar(select(Order).where(Order.po_reference == "PO-2026-118"))
    if waiting is not None:
        waiting.submitted_at = waiting.created_at = utcnow() - timedelta(days=8)
