"""Bench data at the depot's scale, made by Core bulk inserts (executemany of plain dicts in chunks).

2,000 companies (each with an invoice profile and a return address), their users, 100,000 orders
over the last two years (the largest company 20,000), 1,000,000 devices (about 10 an order) and
every device's transitions along the life cycle up to its current status. One order of the largest
company has 1,000 devices in 10 boxes (the logistics PDF's order).

What the devices' lives leave behind, made with them: a quote (1-4 lines from a small price list,
required and recommended) for each paid repair, decided as the life goes (required, all lines, some
lines, declined, or approved by the company's policy); the technicians' time (diagnosis, each
repair); an invoice per order once its last device has shipped, with the accepted lines or the fee
of its outcome (as portal.invoicing would charge it), most of them paid and a few credited; and
about 2 % repeat repairs (a serial shipped back within 90 days, flagged at receiving). They feed the
reports that read them live: quote acceptance, revenue and margin, repeat repairs.

No ORM objects and no flush per row: ids are given, rows are dicts, chunks go in with executemany,
the non-unique indexes of the big tables are built after the rows are in. Random but reproducible
(a fixed seed); dates are relative to the moment of seeding, which the marker records.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import operator
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Column, MetaData, String, Table, Text, bindparam, create_engine, event, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import CreateIndex, CreateTable

from portal import reports
from portal.extensions import db
from portal.models import (
    AssignmentMethod,
    Company,
    Decision,
    DeclinedRecommendation,
    Device,
    DeviceCategory,
    DeviceStatus,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceProfile,
    LineTier,
    ManagerAssignment,
    Order,
    OrderState,
    Payment,
    PriceItem,
    PriceItemKind,
    Quote,
    QuoteLine,
    QuoteState,
    ReportWatermark,
    RequestType,
    ReturnAddress,
    Role,
    ServiceLevel,
    SizeBand,
    StaffRole,
    TaxRate,
    Transition,
    User,
    WorkEntry,
    WorkKind,
)

#: Bump when the data this module makes changes; a different schema reseeds by itself.
SEED_VERSION = 4  # 2: the reports' summaries; 3: quotes, invoices, work entries, repeat repairs; 4: invoice costs
PASSWORD = "bench-depot-password"
ADMIN_EMAIL = "admin@largest.bench.example"
OWN_EMAIL = "own@largest.bench.example"
CACHE_DIR = Path.home() / ".cache" / "depot-portal-bench"
TAG_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DAY = 86400.0
CHUNK_ROWS = 10_000  # rows per executemany
DEVICES_PER_COMMIT = 50_000

S = DeviceStatus

marker_metadata = MetaData()
bench_seed = Table(
    "bench_seed", marker_metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)


@dataclass(frozen=True)
class Scale:
    companies: int = 2_000
    orders: int = 100_000
    largest_orders: int = 20_000
    own_orders: int = 2_000
    devices: int = 1_000_000
    big_order_devices: int = 1_000

    def scaled(self, factor: float) -> Scale:
        if factor == 1:
            return self
        return replace(self, companies=max(20, int(self.companies * factor)),
                       orders=max(200, int(self.orders * factor)),
                       largest_orders=max(40, int(self.largest_orders * factor)),
                       own_orders=max(10, int(self.own_orders * factor)),
                       devices=max(2_000, int(self.devices * factor)))


# -- where ----------------------------------------------------------------------------

def database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if url:
        if url.startswith("postgresql://"):
            url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        return url
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{CACHE_DIR / 'bench.sqlite3'}"


def display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def seeding_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")  # 1 GB of page cache while seeding
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

        return engine
    return create_engine(url)


@contextlib.contextmanager
def seed_lock() -> Iterator[None]:
    """One seeding at a time (two `make bench` at once would otherwise both seed)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / "seed.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- the marker ---------------------------------------------------------------------------

def schema_fingerprint(dialect) -> str:
    parts = []
    for table in db.metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)))
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            parts.append(str(CreateIndex(index).compile(dialect=dialect)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def read_marker(engine: Engine) -> dict | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("bench_seed"):
            return None
        return {key: json.loads(value) for key, value in conn.execute(select(bench_seed.c.key, bench_seed.c.value))}


def wanted_marker(engine: Engine, scale: Scale) -> dict:
    return {"version": SEED_VERSION, "schema": schema_fingerprint(engine.dialect), "scale": asdict(scale)}


def ensure_seeded(url: str, *, reseed: bool = False, scale: Scale = Scale(), log=print) -> dict:
    """The seeded data's facts (who to log in as, the big order, ...); seeds first when needed."""
    with seed_lock():
        engine = seeding_engine(url)
        try:
            marker = None if reseed else read_marker(engine)
            wanted = wanted_marker(engine, scale)
            if marker is not None and all(marker.get(k) == v for k, v in wanted.items()):
                return marker
            if marker is None:
                log("Seeding the bench database" + (" (--reseed)" if reseed else "") + f": {display_url(url)}")
            else:
                changed = ", ".join(k for k, v in wanted.items() if marker.get(k) != v)
                log(f"Reseeding the bench database ({changed} changed): {display_url(url)}")
        finally:
            engine.dispose()
        if url.startswith("sqlite"):
            _delete_sqlite_file(url)
        engine = seeding_engine(url)
        try:
            Seeder(engine, scale, log).run()
            return read_marker(engine)
        finally:
            engine.dispose()


def _delete_sqlite_file(url: str) -> None:
    from sqlalchemy.engine import make_url

    path = make_url(url).database
    if path and path != ":memory:":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(path + suffix).unlink(missing_ok=True)


# -- what the data looks like ------------------------------------------------------------------

COUNTRIES = {
    "PL": {
        "stems": ["Nord", "Polo", "Trans", "Agro", "Info", "Medi", "Bud", "Euro", "Silesia", "Mazo", "Wis", "Bałt",
                  "Łódź", "Kraków", "Pomorze", "Żuraw"],
        "tails": ["log", "tech", "pol", "mex", "tron", "serwis", "net", "handel", "spedycja"],
        "forms": [" Sp. z o.o.", " S.A.", " Sp. j."],
        "cities": [("Warszawa", "00-{:03d}", "Mazowieckie"), ("Kraków", "30-{:03d}", "Małopolskie"),
                   ("Gdańsk", "80-{:03d}", "Pomorskie"), ("Wrocław", "50-{:03d}", "Dolnośląskie"),
                   ("Poznań", "60-{:03d}", "Wielkopolskie"), ("Łódź", "90-{:03d}", "Łódzkie"),
                   ("Katowice", "40-{:03d}", "Śląskie")],
        "streets": ["ul. Przemysłowa", "ul. Magazynowa", "ul. Składowa", "al. Jerozolimskie", "ul. Żelazna",
                    "ul. Portowa", "ul. Fabryczna"],
        "first": ["Olga", "Kasia", "Jan", "Piotr", "Agnieszka", "Tomasz", "Małgorzata", "Paweł", "Zofia"],
        "last": ["Nowak", "Kowalska", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski", "Zieliński"],
        "language": "pl", "phone": "+48 {:02d} {:03d} {:02d} {:02d}",
    },
    "DE": {
        "stems": ["Rhein", "Nord", "Alpen", "Hansa", "Berg", "Elb", "Main", "Isar", "Weser", "Schwarzwald"],
        "tails": ["Logistik", "Technik", "Handel", "Service", "Systeme", "Bau", "Versand"],
        "forms": [" GmbH", " AG", " GmbH & Co. KG"],
        "cities": [("Berlin", "10{:03d}", "Berlin"), ("Hamburg", "20{:03d}", "Hamburg"),
                   ("München", "80{:03d}", "Bayern"), ("Köln", "50{:03d}", "Nordrhein-Westfalen"),
                   ("Leipzig", "04{:03d}", "Sachsen")],
        "streets": ["Industriestraße", "Hafenstraße", "Lagerweg", "Gewerbepark", "Hauptstraße"],
        "first": ["Bernd", "Heike", "Jürgen", "Sabine", "Uwe", "Katrin", "Stefan"],
        "last": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Schäfer"],
        "language": "en", "phone": "+49 {:02d} {:03d} {:02d}{:02d}",
    },
    "CZ": {
        "stems": ["Morava", "Praha", "Vltava", "Brno", "Labe", "Šumava"],
        "tails": ["trans", "tech", "servis", "obchod", "log"],
        "forms": [" s.r.o.", " a.s."],
        "cities": [("Praha", "110 {:02d}", "Praha"), ("Brno", "602 {:02d}", "Jihomoravský"),
                   ("Ostrava", "702 {:02d}", "Moravskoslezský")],
        "streets": ["Průmyslová", "Skladová", "Nádražní", "Dlouhá"],
        "first": ["Jiří", "Petra", "Tomáš", "Lucie", "Martin"],
        "last": ["Novák", "Svobodová", "Dvořák", "Černá", "Procházka"],
        "language": "en", "phone": "+420 {:03d} {:03d} {:02d}{:01d}",
    },
    "UA": {
        "stems": ["Дніпро", "Карпати", "Київ", "Слобожан", "Поділля", "Таврія"],
        "tails": ["Логістик", "Технікс", "Сервіс", "Трейд"],
        "forms": [""],
        "cities": [("Київ", "0{:04d}", "Київська"), ("Львів", "79{:03d}", "Львівська"),
                   ("Харків", "61{:03d}", "Харківська")],
        "streets": ["вул. Промислова", "вул. Складська", "просп. Перемоги", "вул. Шевченка"],
        "first": ["Олена", "Андрій", "Ірина", "Микола", "Наталія"],
        "last": ["Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравчук"],
        "language": "ru", "phone": "+380 {:02d} {:03d} {:02d} {:02d}",
    },
}
COUNTRY_WEIGHTS = {"PL": 55, "DE": 25, "CZ": 12, "UA": 8}
INDUSTRIES = ["logistics", "retail", "manufacturing", "healthcare", "construction", "public sector", "utilities"]

CATEGORIES = ["Laptop", "Handheld terminal", "Label printer", "Power tool", "Tablet", "Barcode scanner",
              "Mobile printer"]
#: (manufacturer, model, category, serial format)
MODELS = [
    ("Dell", "Latitude 5440", "Laptop", "dell"), ("Dell", "Latitude 7440", "Laptop", "dell"),
    ("Lenovo", "ThinkPad T14 Gen 3", "Laptop", "lenovo"), ("Lenovo", "ThinkPad L14 Gen 4", "Laptop", "lenovo"),
    ("HP", "EliteBook 840 G9", "Laptop", "hp"), ("HP", "ProBook 450 G10", "Laptop", "hp"),
    ("Apple", "MacBook Air M2", "Laptop", "apple"),
    ("Zebra", "TC52", "Handheld terminal", "zebra"), ("Zebra", "TC21", "Handheld terminal", "zebra"),
    ("Zebra", "MC3300", "Handheld terminal", "zebra"), ("Honeywell", "CT40", "Handheld terminal", "honeywell"),
    ("Honeywell", "CT60", "Handheld terminal", "honeywell"),
    ("Datalogic", "Memor 11", "Handheld terminal", "datalogic"),
    ("Zebra", "ZD421", "Label printer", "zebra"), ("Zebra", "ZT411", "Label printer", "zebra"),
    ("Brother", "QL-820NWB", "Label printer", "brother"), ("TSC", "TE200", "Label printer", "digits"),
    ("Makita", "DHP484", "Power tool", "digits"), ("Makita", "DTD153", "Power tool", "digits"),
    ("Bosch", "GSR 18V-55", "Power tool", "digits"), ("Hilti", "SF 6H-A22", "Power tool", "digits"),
    ("Samsung", "Galaxy Tab Active4 Pro", "Tablet", "samsung"), ("Apple", "iPad 10.2", "Tablet", "apple"),
    ("Zebra", "DS2208", "Barcode scanner", "zebra"), ("Honeywell", "Voyager 1470g", "Barcode scanner", "honeywell"),
    ("Zebra", "ZQ520", "Mobile printer", "zebra"),
]
FAULTS = [
    "Screen cracked", "Does not charge", "Battery swollen", "Keyboard: several keys do not respond",
    "Scanner does not read barcodes", "Touch screen unresponsive in the upper half", "Liquid damage (coffee)",
    "Dropped, housing broken, still boots", "Print head worn, faded print", "Paper jams every few labels",
    "Motor stops under load", "Chuck wobbles", "No Wi-Fi connection", "Blue screen after a few minutes",
    "Fan very loud", "Hinge broken", "USB-C port loose", "Does not turn on",
    "Ekran pęknięty", "Nie ładuje się", "Skaner nie czyta kodów", "Drukarka nie podaje etykiet",
    "Не включается", "Треснул экран", "Не заряжается аккумулятор",
    "Akku lädt nicht mehr", "Display flackert", "Displej nereaguje na dotyk",
    "Intermittent fault: the device reboots when the trigger is pressed while it is docked in the charging "
    "cradle; the customer says it started after the last firmware update",
]
ACCESSORIES = ["", "", "", "charger", "charger, bag", "battery", "2 batteries, charger", "cradle", "stylus",
               "power supply"]
BEYOND_REPAIR_REASONS = ["Mainboard corroded", "Frame bent, parts unavailable", "Repair costs exceed value"]
QC_FAIL_NOTES = ["Fails QC: touch dead zone", "Fails QC: battery test", "Fails QC: scanner misreads"]
CARRIERS = ["DHL", "UPS", "DPD", "InPost", "GLS", "FedEx"]

# -- quotes, invoices, time worked ------------------------------------------------------------

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: The price list: parts per category (code, description, list price, cost); labour and the extras
#: a technician recommends. Labour costs nothing on the line: technician time is costed from the
#: work entries (TECHNICIAN_HOURLY_COST), as the revenue report does.
PARTS = {
    "Laptop": [("LAP-SCR", "Display panel 14\"", "145.00", "88.00"), ("LAP-KBD", "Keyboard", "59.00", "31.00"),
               ("LAP-BAT", "Battery", "89.00", "52.00"), ("LAP-HNG", "Hinge set", "35.00", "14.00"),
               ("LAP-SSD", "SSD 512 GB", "79.00", "45.00"), ("LAP-USBC", "USB-C port board", "42.00", "18.00")],
    "Handheld terminal": [("HHT-SCR", "Display and touch assembly", "120.00", "70.00"),
                          ("HHT-BAT", "Battery 4,300 mAh", "39.99", "21.00"),
                          ("HHT-SCN", "Scan engine", "189.00", "120.00"), ("HHT-KEY", "Keypad", "45.00", "20.00"),
                          ("HHT-HSG", "Back cover", "29.00", "11.00")],
    "Label printer": [("LBL-PHD", "Print head", "210.00", "140.00"), ("LBL-PLT", "Platen roller", "35.00", "15.00"),
                      ("LBL-SNS", "Media sensor", "28.00", "12.00"), ("LBL-BRD", "Main board", "180.00", "115.00")],
    "Power tool": [("PT-MOT", "Motor", "75.00", "41.00"), ("PT-CHK", "Chuck", "32.00", "14.00"),
                   ("PT-SWT", "Trigger switch", "24.00", "9.00"), ("PT-BAT", "Battery pack 18 V", "65.00", "38.00")],
    "Tablet": [("TAB-SCR", "Display and digitiser", "165.00", "102.00"), ("TAB-BAT", "Battery", "69.00", "38.00"),
               ("TAB-CHG", "Charging port", "39.00", "16.00")],
    "Barcode scanner": [("BC-SCN", "Scan engine", "95.00", "58.00"), ("BC-CBL", "Cable, USB", "19.00", "6.00"),
                        ("BC-WIN", "Exit window", "15.00", "5.00")],
    "Mobile printer": [("MP-PHD", "Print head", "120.00", "75.00"), ("MP-BAT", "Battery", "49.00", "26.00"),
                       ("MP-LAT", "Media cover latch", "18.00", "6.00")],
}
LABOUR = ("LAB-30", "Labour, 30 minutes", "25.50", "0.00")
EXTRAS = [("CLN", "Cleaning and new rubber seals", "10.05", "2.00"), ("FW", "Firmware update", "15.00", "0.00")]
STANDARD_RATE = ("VAT 23%", Decimal("23.00"), "")
AUTO_APPROVE_LIMIT = Decimal("500.00")  # above any required repair's gross in this price list
AUTO_NOTE = "Quote revision 1 approved automatically by the company's policy (under 500.00 EUR)"
REVERSE_CHARGE = ("Reverse charge", Decimal("0.00"),
                  "Reverse charge: VAT to be accounted for by the recipient (Art. 196 of Directive 2006/112/EC).")
EU = {"PL", "DE", "CZ"}  # of the bench's countries; PL is the depot's own
DIAGNOSIS_FEE = Decimal("25.00")  # the settings' defaults (DIAGNOSIS_FEE, NO_FAULT_FOUND_FEE)
NO_FAULT_FOUND_FEE = Decimal("25.00")
PAYMENT_TERMS_DAYS = 14  # Company.payment_terms_days's default
#: Shares: companies whose policy approves cheap quotes by itself; devices that come back within the
#: repair warranty (flagged at receiving); invoices corrected by a credit note
AUTO_APPROVE_COMPANIES = 0.10
AUTO_APPROVED = 0.6  # of those companies' paid repairs: under their limit
NOT_SHIPPING = (S.CANCELLED, S.MISSING)  # invoicing.NOT_SHIPPING: the order is complete without them
REPEAT_SHARE = 0.022  # tried on received devices; a few find no earlier device to repeat
CREDIT_NOTE_SHARE = 0.004
PAPERWORK = (Quote, QuoteLine, DeclinedRecommendation, WorkEntry, Invoice, InvoiceLine, Payment)
SELLER = {"name": "Depot Repair Sp. z o.o.", "address": "ul. Serwisowa 1, 02-001 Warszawa, PL",
          "tax_id": "PL5250000000", "bank_account": "PL61 1090 1014 0000 0712 1981 2874"}  # the settings' defaults
FINDINGS = ["Display cracked, touch layer damaged", "Battery swollen, capacity 41 %", "Charging port worn",
            "Scan engine does not fire", "Liquid damage on the main board", "Print head worn", "Keys worn out",
            "Motor brushes worn", "Housing cracked at the corner"]

STAFF = (
    [(Role.ADMIN, "Ada Admin")] + [(Role.ACCOUNT_MANAGER, f"Account Manager {i}") for i in range(1, 9)]
    + [(Role.CUSTOMER_CARE, f"Customer Care {i}") for i in range(1, 4)]
    + [(Role.SUPERVISOR, "Sam Supervisor")]
    + [(Role.RECEIVING, f"Receiving {i}") for i in range(1, 5)]
    + [(Role.TECHNICIAN, f"Technician {i}") for i in range(1, 11)]
    + [(Role.TESTER, f"Tester {i}") for i in range(1, 4)]
    + [(Role.DISPATCH, f"Dispatch {i}") for i in range(1, 4)]
)


def tag_code(n: int) -> str:
    """'D' + 7 Crockford characters, a bijection of n (so unique), scrambled to look random."""
    mask = (1 << 35) - 1
    v = (n * 0x5DEECE66D + 0xB) & mask
    v ^= v >> 17
    v = (v * 0x2545F491) & mask
    v ^= v >> 13
    return "D" + "".join(TAG_ALPHABET[(v >> shift) & 31] for shift in (30, 25, 20, 15, 10, 5, 0))


ALNUM = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def serial_number(rng: random.Random, kind: str) -> str:
    choice, choices = rng.choice, rng.choices
    if kind == "dell":
        return "".join(choices(ALNUM, k=7))
    if kind == "lenovo":
        return "PF" + "".join(choices(ALNUM, k=6))
    if kind == "hp":
        return f"5CG{rng.randrange(1000, 9999)}" + "".join(choices(ALNUM, k=3))
    if kind == "apple":
        return choice(["C02", "FVF", "DMP"]) + "".join(choices(ALNUM, k=9))
    if kind == "zebra":
        return f"{rng.randrange(18, 25)}{rng.randrange(100, 366):03d}5{rng.randrange(10**8):08d}"
    if kind == "honeywell":
        return f"{rng.randrange(18, 25)}{rng.randrange(100, 366):03d}B" + "".join(choices(ALNUM, k=4))
    if kind == "datalogic":
        return f"C{rng.randrange(10**8):08d}"
    if kind == "brother":
        return "U6" + "".join(choices(ALNUM, k=5)) + f"{rng.randrange(10**6):06d}"
    if kind == "samsung":
        return "R52" + "".join(choices(ALNUM, k=8))
    return f"{rng.randrange(10**8, 10**9)}"


# -- the seeder ---------------------------------------------------------------------------------

class Seeder:
    def __init__(self, engine: Engine, scale: Scale, log=print):
        self.engine = engine
        self.scale = scale
        self.log = log
        self.rng = random.Random(20_240_601)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.now_ts = self.now.timestamp()
        self.rows = {"transitions": 0}
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.password_hash = ""
        self.tz = ZoneInfo(os.environ.get("DEPOT_TIMEZONE", "Europe/Warsaw"))
        self.tally = reports.Tally(self.tz)
        self.last_transition_id = 0
        # Quotes, invoices, time worked and repeats draw from their own stream, so tuning them leaves
        # the devices' lives (the other measurements' data) as self.rng draws them; only a quote the
        # company's policy approves at once makes a life of its own (no awaiting approval).
        self.extra = random.Random(20_240_602)
        self.ids = dict.fromkeys(("quote", "quote_line", "declined", "work", "invoice", "invoice_line", "payment"), 0)
        self.minutes_worked: dict[int, int] = {}  # device -> minutes, until its invoice takes them
        #: Rows made with the devices, inserted with them (in this order: the foreign keys')
        self.paperwork: dict[type, list[dict]] = {model: [] for model in PAPERWORK}
        self.numbering: list[tuple] = []  # (kind, year, issued ts, id): numbered once all are in
        self.repeat_pool: dict[int, list[tuple]] = {}  # per company: devices shipped lately

    # helpers
    def insert(self, conn: Connection, table, rows: list[dict]) -> None:
        statement = self.plain_insert(conn, table, rows)
        for start in range(0, len(rows), CHUNK_ROWS):
            if statement is None:
                conn.execute(table.insert(), rows[start:start + CHUNK_ROWS])
            else:
                sql, convert = statement
                conn.exec_driver_sql(sql, [convert(row) for row in rows[start:start + CHUNK_ROWS]])
        self.rows[table.name] = self.rows.get(table.name, 0) + len(rows)

    def plain_insert(self, conn: Connection, table, rows: list[dict]):
        """On SQLite, the INSERT and a row-to-tuple conversion for the driver's executemany: each
        value goes through its column's own bind processor (so it is stored exactly as by
        conn.execute), but without SQLAlchemy's per-row parameter handling, which costs more than
        SQLite's insert itself. None (use conn.execute) elsewhere, or when a column left out has a
        default only Python computes. Every row has the first row's keys."""
        if not self.is_sqlite or not rows:
            return None
        keys = list(rows[0])
        constants = {}
        for column in table.columns:
            if column.key in keys or column.default is None:
                continue
            if not column.default.is_scalar:
                return None
            constants[column.key] = column.default.arg
        names = keys + list(constants)
        compiled = table.insert().compile(dialect=conn.dialect, column_keys=names)
        if list(compiled.positiontup) != names:
            return None
        dialect = conn.dialect
        processors = [(n, processor) for n, name in enumerate(names)
                      if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))]
        get = operator.itemgetter(*keys)
        tail = list(constants.values())

        def convert(row: dict) -> tuple:
            values = [*get(row), *tail] if len(keys) > 1 else [row[keys[0]], *tail]
            for n, processor in processors:
                values[n] = processor(values[n])
            return tuple(values)

        return compiled.string, convert

    def dt(self, ts: float) -> datetime:
        return datetime.fromtimestamp(int(ts), UTC)

    def run(self) -> None:
        started = time.perf_counter()
        from werkzeug.security import generate_password_hash

        self.password_hash = generate_password_hash(PASSWORD)  # one hash, every user
        self.create_schema()
        deferred = self.drop_bulk_indexes()
        with self.engine.begin() as conn:
            self.seed_people(conn)
        self.plan_orders()
        with self.engine.begin() as conn:
            self.insert_orders(conn)
        self.insert_devices()
        self.number_invoices()
        self.insert_report_summaries()
        self.log(f"  indexes: building {len(deferred)} ...")
        t = time.perf_counter()
        with self.engine.begin() as conn:
            for index in deferred:
                index.create(conn)
        self.log(f"  indexes: built in {time.perf_counter() - t:.1f} s")
        self.finish()
        seconds = time.perf_counter() - started
        facts = {
            **wanted_marker(self.engine, self.scale),
            "seeded_at": self.now.isoformat(),
            "seconds": round(seconds, 1),
            "rows": self.rows,
            "largest_company_id": 1,
            "admin_email": ADMIN_EMAIL,
            "own_email": OWN_EMAIL,
            "password": PASSWORD,
            "big_order_id": self.big_order_id,
        }
        with self.engine.begin() as conn:
            marker_metadata.create_all(conn)
            conn.execute(bench_seed.delete())
            conn.execute(bench_seed.insert(), [{"key": k, "value": json.dumps(v)} for k, v in facts.items()])
        self.log(f"Seeded in {seconds:.0f} s: " + ", ".join(f"{n:,} {t}" for t, n in self.rows.items()))

    def create_schema(self) -> None:
        with self.engine.begin() as conn:
            if not self.is_sqlite:
                existing = MetaData()
                existing.reflect(conn)
                existing.drop_all(conn)
            db.metadata.create_all(conn)

    def drop_bulk_indexes(self) -> list:
        """The big tables' non-unique indexes go up after the rows are in: much faster."""
        deferred = []
        with self.engine.begin() as conn:
            for model in (Order, Device, Transition, *PAPERWORK):
                for index in sorted(model.__table__.indexes, key=lambda i: i.name):
                    if not index.unique:
                        index.drop(conn)
                        deferred.append(index)
        return deferred

    def finish(self) -> None:
        if self.is_sqlite:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        with self.engine.begin() as conn:
            for table in db.metadata.sorted_tables:
                if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # what autovacuum does to a live server's tables after big inserts (visibility map, statistics)
            self.log("  VACUUM ANALYZE ...")
            conn.exec_driver_sql("VACUUM ANALYZE " + ", ".join(t.name for t in db.metadata.sorted_tables))

    # people ------------------------------------------------------------------------------------
    def seed_people(self, conn: Connection) -> None:
        rng, now = self.rng, self.now
        hash_ = self.password_hash
        users, roles = [], []

        def user_row(uid, email, name, company_id=None, profile_id=None, language="en", rights=()):
            row = {"id": uid, "email": email, "name": name, "password_hash": hash_, "company_id": company_id,
                   "invoice_profile_id": profile_id, "is_active_account": True,
                   "confirmed_at": now - timedelta(days=800), "language": language, "timezone": None,
                   "created_at": now - timedelta(days=800), "locked_until": None}
            row.update({right: right in rights for right in (
                "can_see_colleagues_orders", "can_edit_all_orders", "can_see_invoices", "can_manage_users",
                "can_manage_company")})
            return row

        self.staff: dict[Role, list[int]] = {}
        for uid, (role, name) in enumerate(STAFF, start=1):
            users.append(user_row(uid, f"staff{uid}@depot.bench.example", name))
            roles.append({"id": uid, "user_id": uid, "role": role})
            self.staff.setdefault(role, []).append(uid)
        self.insert(conn, User.__table__, users)
        self.insert(conn, StaffRole.__table__, roles)
        self.insert(conn, DeviceCategory.__table__,
                    [{"id": i, "name": name, "is_active": True} for i, name in enumerate(CATEGORIES, start=1)])
        self.category_ids = {name: i for i, name in enumerate(CATEGORIES, start=1)}

        companies, profiles, addresses, assignments, customers = [], [], [], [], []
        self.companies: list[dict] = [None]  # 1-based
        next_user = len(STAFF) + 1
        next_address = 1
        countries = list(COUNTRY_WEIGHTS)
        all_rights = ("can_see_colleagues_orders", "can_edit_all_orders", "can_see_invoices", "can_manage_users",
                      "can_manage_company")
        for cid in range(1, self.scale.companies + 1):
            largest = cid == 1
            country = "PL" if largest else rng.choices(countries, weights=list(COUNTRY_WEIGHTS.values()))[0]
            spec = COUNTRIES[country]
            if largest:
                name = "Baltic Retail Group S.A."
            else:
                name = f"{rng.choice(spec['stems'])}{rng.choice(spec['tails'])}{rng.choice(spec['forms'])}"
                if country == "UA":
                    name = f"ТОВ «{name}»"
            city, postcode_format, region = rng.choice(spec["cities"])
            street = f"{rng.choice(spec['streets'])} {rng.randrange(1, 200)}"
            postcode = postcode_format.format(rng.randrange(1, 100))
            phone = spec["phone"].format(*(rng.randrange(10, 99) for _ in range(4)))
            manager = rng.choice(self.staff[Role.ACCOUNT_MANAGER])
            created = now - timedelta(days=740 + rng.randrange(0, 1500))
            auto = not largest and self.extra.random() < AUTO_APPROVE_COMPANIES
            companies.append({
                "id": cid, "legal_name": f"{name} ({cid})" if not largest else name,
                "tax_id": f"{country}{cid:010d}", "country": country, "region": region,
                "industry": "retail" if largest else rng.choice(INDUSTRIES),
                "size_band": SizeBand.ENTERPRISE if largest else rng.choice(list(SizeBand)),
                "street": street, "postcode": postcode, "city": city, "phone": phone, "created_at": created,
                "account_manager_id": manager, "auto_approve_limit": AUTO_APPROVE_LIMIT if auto else None,
            })
            profiles.append({"id": cid, "company_id": cid, "name": name, "tax_id": f"{country}{cid:010d}",
                             "street": street, "postcode": postcode, "city": city, "country": country,
                             "invoice_email": f"invoices@c{cid}.bench.example", "is_archived": False})
            assignments.append({"id": cid, "company_id": cid, "manager_id": manager,
                                "method": AssignmentMethod.ROUND_ROBIN, "rule_id": None, "assigned_by_id": None,
                                "assigned_at": created, "note": ""})
            company_addresses = []
            for n in range(3 if largest else 1):
                a_city, a_postcode, _ = spec["cities"][n % len(spec["cities"])] if n else (city, None, None)
                addresses.append({
                    "id": next_address, "company_id": cid, "label": "Head office" if n == 0 else f"Branch {n}",
                    "recipient": name, "street": street if n == 0 else f"{rng.choice(spec['streets'])} {n + 10}",
                    "postcode": postcode if n == 0 else a_postcode.format(rng.randrange(1, 100)),
                    "city": a_city, "country": country, "phone": phone, "is_default": n == 0,
                    "is_archived": False})
                company_addresses.append(next_address)
                next_address += 1

            def person():
                return f"{rng.choice(spec['first'])} {rng.choice(spec['last'])}"  # noqa: B023

            if largest:
                people = [(ADMIN_EMAIL, "Agnieszka Admin", all_rights), (OWN_EMAIL, "Jan Own-orders-only", ())]
                people += [(f"colleague{n}@largest.bench.example", person(),
                            ("can_see_colleagues_orders",) if n % 3 == 0 else ()) for n in range(1, 9)]
            else:
                people = [(f"admin@c{cid}.bench.example", person(), all_rights)]
                if rng.random() < 0.4:
                    people.append((f"user2@c{cid}.bench.example", person(),
                                   ("can_see_colleagues_orders",) if rng.random() < 0.5 else ()))
            user_ids = []
            for email, person_name, rights in people:
                language = "en" if largest else spec["language"]
                customers.append(user_row(next_user, email, person_name, cid, cid, language, rights))
                user_ids.append(next_user)
                next_user += 1
            fleet = rng.sample(range(len(MODELS)), k=len(MODELS) if largest else rng.randrange(2, 7))
            self.companies.append({
                "users": user_ids, "addresses": company_addresses, "manager": manager, "fleet": fleet,
                "asset_prefix": ("BRG" if largest else "".join(rng.choices("ABCDEFGHKLMNPRSTWZ", k=3)))
                if largest or rng.random() < 0.75 else None,
                "asset_next": rng.randrange(1000, 50000), "phone": phone, "auto": auto,
                # pricing.tax_for: another EU country with a VAT id pays by reverse charge
                "rate": REVERSE_CHARGE if country in EU and country != "PL" else STANDARD_RATE,
                "buyer": {"name": name, "tax_id": f"{country}{cid:010d}", "street": street, "postcode": postcode,
                          "city": city, "country": country, "email": f"invoices@c{cid}.bench.example",
                          "language": "en" if largest else spec["language"]},
            })
        self.insert(conn, Company.__table__, companies)
        self.seed_price_list(conn)
        self.insert(conn, InvoiceProfile.__table__, profiles)
        self.insert(conn, ReturnAddress.__table__, addresses)
        self.insert(conn, User.__table__, customers)
        self.insert(conn, ManagerAssignment.__table__, assignments)
        self.user_names = {u["id"]: (u["name"], u["email"]) for u in customers}
        self.log(f"  companies: {len(companies):,}, users: {len(users) + len(customers):,}")

    def seed_price_list(self, conn: Connection) -> None:
        """The tax rates and the price list the quotes are written from."""
        rates = [(1, *STANDARD_RATE, False), (2, "VAT 8%", Decimal("8.00"), "", False), (3, *REVERSE_CHARGE, True)]
        self.insert(conn, TaxRate.__table__, [
            {"id": i, "name": name, "rate": rate, "legal_note": note, "is_reverse_charge": reverse, "is_active": True}
            for i, name, rate, note, reverse in rates])
        items = [(code, description, price, cost, PriceItemKind.PART) for parts in PARTS.values()
                 for code, description, price, cost in parts]
        items += [(*LABOUR, PriceItemKind.LABOUR)] + [(*extra, PriceItemKind.LABOUR) for extra in EXTRAS]
        self.price_items = {}
        rows = []
        for item_id, (code, description, price, cost, kind) in enumerate(items, start=1):
            self.price_items[code] = (item_id, description, Decimal(price), Decimal(cost), kind)
            rows.append({"id": item_id, "code": code, "description": description, "kind": kind,
                         "unit_price": Decimal(price), "unit_cost": Decimal(cost), "tax_rate_id": 1,
                         "stock": 40 if kind == PriceItemKind.PART else 0, "is_active": True})
        self.insert(conn, PriceItem.__table__, rows)

    # orders --------------------------------------------------------------------------------------
    def orders_per_company(self) -> list[int]:
        """Largest company fixed; the rest Zipf-like (a few big customers, many small), shuffled."""
        scale, rng = self.scale, self.rng
        others = scale.companies - 1
        rest = scale.orders - scale.largest_orders
        weights = [1 / (rank ** 0.8) for rank in range(1, others + 1)]
        total = sum(weights)
        raw = [rest * w / total for w in weights]
        counts = [max(1, int(x)) for x in raw]
        order = sorted(range(others), key=lambda i: raw[i] - int(raw[i]), reverse=True)
        i = 0
        while sum(counts) < rest:
            counts[order[i % others]] += 1
            i += 1
        while sum(counts) > rest:
            j = order[-1 - (i % others)]
            if counts[j] > 1:
                counts[j] -= 1
            i += 1
        rng.shuffle(counts)
        return [scale.largest_orders, *counts]

    def plan_orders(self) -> None:
        rng, scale, now_ts = self.rng, self.scale, self.now_ts
        span = 730 * DAY
        plans = []
        for cid, count in enumerate(self.orders_per_company(), start=1):
            company = self.companies[cid]
            users = company["users"]
            for n in range(count):
                if cid == 1:
                    # admin, own-orders user, then 8 colleagues sharing the rest
                    if n < scale.own_orders:
                        owner = users[1]
                    elif n < 2 * scale.own_orders:
                        owner = users[0]
                    else:
                        owner = users[2 + n % (len(users) - 2)]
                else:
                    owner = users[0] if len(users) == 1 or rng.random() < 0.7 else users[1]
                submitted = now_ts - rng.random() * span
                plans.append([cid, owner, submitted])
        plans.sort(key=lambda p: p[2])

        # the logistics PDF's order: the largest company's, about 20 days old, 1,000 devices
        target = now_ts - 20 * DAY
        big = min((i for i, p in enumerate(plans) if p[0] == 1), key=lambda i: abs(plans[i][2] - target))
        plans[big][1] = self.companies[1]["users"][0]

        # a few recent drafts (no devices yet), the rest decided below
        rolls = [rng.random() for _ in plans]
        drafts = {i for i, p in enumerate(plans) if rolls[i] < 0.005 and now_ts - p[2] < 120 * DAY and i != big}

        # devices an order: lognormal around 10, scaled to the exact total
        counts = [max(1, int(rng.lognormvariate(1.75, 0.95))) for _ in plans]
        skip = drafts | {big}
        for i in skip:
            counts[i] = 0
        wanted = scale.devices - scale.big_order_devices
        factor = wanted / sum(counts)
        counts = [0 if i in skip else max(1, round(c * factor)) for i, c in enumerate(counts)]
        diff = wanted - sum(counts)
        while diff:
            i = rng.randrange(len(counts))
            if i in skip:
                continue
            if diff > 0:
                counts[i] += 1
                diff -= 1
            elif counts[i] > 1:
                counts[i] -= 1
                diff += 1
        counts[big] = scale.big_order_devices

        self.orders = []
        for i, ((cid, owner, submitted), devices) in enumerate(zip(plans, counts, strict=True)):
            oid = i + 1
            age = now_ts - submitted
            company = self.companies[cid]
            roll = rolls[i]
            check = submitted + rng.uniform(0.05, 1.5) * DAY
            if i == big:
                state = OrderState.ACCEPTED
            elif i in drafts:
                state = OrderState.DRAFT
            elif roll < 0.025:
                state = OrderState.CANCELLED
            elif check > now_ts:
                state = OrderState.SUBMITTED
            elif roll < 0.06 and age < 30 * DAY:
                state = OrderState.RETURNED
            else:
                state = OrderState.ACCEPTED
            by_staff = rng.random() < 0.04
            boxes = 1 if devices <= 15 else math.ceil(devices / (100 if i == big else 15))
            self.orders.append({
                "id": oid, "company_id": cid, "owner_id": owner, "state": state, "submitted": submitted,
                "check": check, "devices": devices, "boxes": boxes,
                "boxed": boxes > 1 and (i == big or rng.random() < 0.7),
                "created_by": company["manager"] if by_staff else owner,
                "receive": submitted + rng.uniform(1, 6) * DAY,
            })
            if i == big:
                self.big_order_id = oid

    def insert_orders(self, conn: Connection) -> None:
        rng, now = self.rng, self.now
        rows = []
        for o in self.orders:
            company = self.companies[o["company_id"]]
            name, email = self.user_names[o["owner_id"]]
            submitted = self.dt(o["submitted"])
            created = submitted - timedelta(seconds=rng.randrange(120, 3 * 86400))
            draft = o["state"] == OrderState.DRAFT
            checked = o["state"] in (OrderState.ACCEPTED, OrderState.RETURNED)
            checked_at = self.dt(o["check"]) if checked else None
            carrier = rng.choice(CARRIERS) if not draft and rng.random() < 0.6 else ""
            rows.append({
                "id": o["id"], "number": None if draft else f"RO{o['id']:07d}", "company_id": o["company_id"],
                "owner_id": o["owner_id"], "created_by_id": o["created_by"], "state": o["state"],
                "return_address_id": rng.choice(company["addresses"]), "contact_name": name,
                "contact_phone": company["phone"], "contact_email": email,
                "po_reference": f"PO-{submitted.year}-{rng.randrange(10000, 99999)}" if rng.random() < 0.6 else "",
                "service_level": ServiceLevel.EXPRESS if rng.random() < 0.1 else ServiceLevel.STANDARD,
                "note": "Please call before returning." if rng.random() < 0.05 else "",
                "box_count": o["boxes"], "draft": {} if draft else None,
                "created_at": created if not draft else submitted,
                "updated_at": min(now, (checked_at or submitted) + timedelta(minutes=5)),
                "submitted_at": None if draft else submitted,
                "checked_at": checked_at,
                "checked_by_id": rng.choice(self.staff[Role.CUSTOMER_CARE]) if checked else None,
                "return_note": "Serial numbers missing for two devices." if o["state"] == OrderState.RETURNED else "",
                "inbound_carrier": carrier,
                "inbound_tracking": f"{rng.randrange(10**11, 10**12)}" if carrier else "",
                "reminder_sent_at": None,
            })
        self.insert(conn, Order.__table__, rows)
        self.log(f"  orders: {len(rows):,}")

    # devices and transitions ------------------------------------------------------------------------
    def insert_devices(self) -> None:
        devices, transitions = [], []
        device_id, transition_id = 0, 0
        total = self.scale.devices
        started = time.perf_counter()
        next_report = 0.1
        for o in self.orders:
            if not o["devices"]:
                continue
            device_id, transition_id = self.order_devices(o, device_id, transition_id, devices, transitions)
            if len(devices) >= DEVICES_PER_COMMIT:
                self.flush(devices, transitions)
                devices, transitions = [], []
                if device_id / total >= next_report:
                    elapsed = time.perf_counter() - started
                    self.log(f"  devices: {device_id:,} of {total:,} ({device_id / total:.0%}), "
                             f"transitions: {transition_id:,}, {elapsed:.0f} s")
                    next_report = round(device_id / total + 0.1, 1)
        self.flush(devices, transitions)
        self.last_transition_id = transition_id
        self.log(f"  devices: {device_id:,}, transitions: {transition_id:,}, {time.perf_counter() - started:.0f} s")

    def insert_report_summaries(self) -> None:
        """The summaries `flask jobs run` keeps (portal.reports.refresh), from the counts the devices'
        lives were tallied into as they were made, and the watermark after the last transition."""
        started = time.perf_counter()
        rows = self.tally.rows()
        with self.engine.begin() as conn:
            for model, model_rows in rows.items():
                self.insert(conn, model.__table__, model_rows)
            self.insert(conn, ReportWatermark.__table__,
                        [{"id": 1, "last_transition_id": self.last_transition_id, "refreshed_at": self.now}])
        self.log(f"  report summaries: {sum(len(r) for r in rows.values()):,} rows, "
                 f"{time.perf_counter() - started:.1f} s")

    def tally_life(self, cut: list) -> None:
        """Count a device's transitions as portal.reports.refresh would. Deadlines are approximated
        (working days as 7/5 calendar days, no holidays, standard level): the bench times the
        reading of the summaries, not these figures."""
        tally, previous, received = self.tally, None, None
        diagnosed = approved = ready = None
        paused_since, pauses = None, []
        for status, at, actor, _station, _note in cut:
            ts = float(int(at))
            tally.transition(previous, (status, ts, actor), received)
            if paused_since is not None:
                pauses.append((paused_since, ts))
                paused_since = None
            if status in (S.AWAITING_APPROVAL, S.WAITING_FOR_PARTS):
                paused_since = ts
            if received is None and status == S.RECEIVED:
                received = ts
            elif received is not None and previous is not None:
                if diagnosed is None and previous[0] == S.DIAGNOSIS and status in reports.DIAGNOSIS_DONE:
                    diagnosed = ts
                if approved is None and status in (S.REPAIR, S.WAITING_FOR_PARTS) and \
                        previous[0] in (S.AWAITING_APPROVAL, S.DIAGNOSIS):
                    approved = ts
                if ready is None and status == S.READY_TO_SHIP:
                    ready = ts
            previous = (status, ts, actor)
        for stage, start, done, days in (("diagnosis", received, diagnosed, 2), ("repair", approved, ready, 5),
                                         ("turnaround", received, ready, 10)):
            if start is None or done is None or done < start:
                continue
            paused = sum(max(0.0, min(b, done) - max(a, start)) for a, b in pauses)
            tally.stage_outcome(stage, done, done - start - paused <= days * 1.4 * DAY)

    def flush(self, devices: list[dict], transitions: list[dict]) -> None:
        with self.engine.begin() as conn:
            self.insert(conn, Device.__table__, devices)
            self.insert(conn, Transition.__table__, transitions)
            for model, rows in self.paperwork.items():
                self.insert(conn, model.__table__, rows)
                rows.clear()

    def order_devices(self, o: dict, device_id: int, transition_id: int, devices: list, transitions: list):
        rng, uniform, random_ = self.rng, self.rng.uniform, self.rng.random
        now_ts, dt = self.now_ts, self.dt
        company = self.companies[o["company_id"]]
        staff = self.staff
        owner = o["owner_id"]
        t0 = o["submitted"]
        submitted_at = dt(t0)
        state = o["state"]
        accepted = state == OrderState.ACCEPTED
        by_staff = o["created_by"] != owner
        registered_by, on_behalf = (o["created_by"], owner) if by_staff else (owner, None)
        fleet = company["fleet"]
        prefix = company["asset_prefix"]
        count, boxes, boxed = o["devices"], o["boxes"], o["boxed"]
        per_box = math.ceil(count / boxes)
        charges, shipped_at, waiting = [], 0.0, False  # the order's invoice: when its last device ships
        for n in range(count):
            device_id += 1
            manufacturer, model, category, serial_kind = MODELS[fleet[int(random_() ** 1.6 * len(fleet))]]
            warranty = random_() < 0.45
            auto = accepted and not warranty and company["auto"] and self.extra.random() < AUTO_APPROVED
            if prefix and random_() < 0.9:
                company["asset_next"] += 1
                asset = f"{prefix}-{company['asset_next']:06d}"
            else:
                asset = ""
            # the life: (status, time, actor, station, note)
            steps = [(S.REGISTERED, t0, registered_by, "", "")]
            if state == OrderState.CANCELLED:
                steps.append((S.CANCELLED, min(now_ts, t0 + uniform(0.05, 3) * DAY), owner, "", "Order cancelled"))
            elif accepted:
                t = o["receive"]
                if random_() < 0.003:
                    steps.append((S.MISSING, t + 2 * DAY, rng.choice(staff[Role.RECEIVING]), "Receiving", ""))
                    t += uniform(4, 12) * DAY
                    if random_() < 0.5:
                        t = math.inf
                steps.append((S.RECEIVED, t, rng.choice(staff[Role.RECEIVING]), "Receiving", ""))
                self.life_after_receipt(steps, t, warranty, owner, auto)
            cut = [s for s in steps if s[1] <= now_ts]
            self.tally_life(cut)
            previous = None
            for status, at, actor, station, note in cut:
                transition_id += 1
                transitions.append({
                    "id": transition_id, "device_id": device_id, "from_status": previous, "to_status": status,
                    "actor_id": actor, "on_behalf_of_id": on_behalf if status == S.REGISTERED else None,
                    "station": station, "note": note, "at": submitted_at if at == t0 else dt(at)})
                previous = status
            last_at = cut[-1][1]
            devices.append({
                "id": device_id, "order_id": o["id"], "company_id": o["company_id"], "tag_code": tag_code(device_id),
                "category_id": self.category_ids[category] if random_() < 0.85 else None,
                "manufacturer": manufacturer, "model": model, "serial_number": serial_number(rng, serial_kind),
                "asset_tag": asset, "fault_description": FAULTS[int(random_() ** 1.3 * len(FAULTS))],
                "warranty_claimed": warranty,
                "purchase_date": date.fromtimestamp(t0 - uniform(30, 1800) * DAY) if random_() < 0.7 else None,
                "accessories": rng.choice(ACCESSORIES), "box_number": (n // per_box) + 1 if boxed else None,
                "unlock_code_encrypted": None, "data_wipe_allowed": random_() < 0.6,
                "request_type": (RequestType.WARRANTY if warranty else RequestType.PAID) if accepted else None,
                "status": previous, "status_changed_at": submitted_at if last_at == t0 else dt(last_at),
                "created_at": submitted_at, "technician_id": None, "warranty_confirmed": None, "repeat_of_id": None,
            })
            device = devices[-1]
            if accepted:
                category = self.repeat_or_remember(o["company_id"], device, category, steps, cut)
                device_charges = self.paperwork_for(o, device, category, cut, warranty, auto)
                if previous in (S.SHIPPED, S.DELIVERED):
                    charges += device_charges
                    shipped_at = max(shipped_at, next(at for status, at, *_ in cut if status == S.SHIPPED))
                elif previous not in NOT_SHIPPING:
                    waiting = True
        if charges and not waiting:
            self.invoice(o, company, charges, shipped_at)
        return device_id, transition_id

    # repeat repairs, quotes, time worked, invoices ---------------------------------------------------
    def repeat_or_remember(self, company_id: int, device: dict, category: str, steps: list, cut: list) -> str:
        """A received device may be an earlier one come back (same serial, shipped within the repair
        warranty's 90 days), as receiving flags it; a device that ships may come back later.
        Returns the device's category (the earlier device's, for a repeat)."""
        pool = self.repeat_pool.setdefault(company_id, [])
        received = next((at for status, at, *_ in cut if status == S.RECEIVED), None)
        if pool and received is not None:
            if pool[0][0] < received - 150 * DAY:
                # devices come in the order of their orders: one shipped this long ago is never
                # picked again (pruned 60 days at a time, so the largest pool is not filtered per device)
                pool[:] = [p for p in pool if p[0] >= received - 90 * DAY]
            if pool and self.extra.random() < REPEAT_SHARE:
                for _ in range(6):
                    shipped, original, manufacturer, model, earlier_category, category_id, serial, asset = \
                        self.extra.choice(pool)
                    if received - 90 * DAY <= shipped <= received:
                        device.update(repeat_of_id=original, manufacturer=manufacturer, model=model,
                                      category_id=category_id, serial_number=serial, asset_tag=asset)
                        category = earlier_category
                        break
        shipped = next((at for status, at, *_ in steps if status == S.SHIPPED), None)
        if shipped is not None and shipped <= self.now_ts:
            pool.append((shipped, device["id"], device["manufacturer"], device["model"], category,
                         device["category_id"], device["serial_number"], device["asset_tag"]))
        return category

    def paperwork_for(self, o: dict, device: dict, category: str, cut: list, warranty: bool, auto: bool) -> list:
        """The device's quote and its lines, the decision, the time worked (diagnosis, each repair), as
        the bench and the approvals record them; returns what it is charged when it ships
        (invoicing.charges_for: accepted lines when repaired, the fee of an unrepaired outcome,
        nothing for a confirmed warranty)."""
        x = self.extra
        statuses = [step[0] for step in cut]
        if S.DIAGNOSIS not in statuses:
            return []
        d = statuses.index(S.DIAGNOSIS)
        technician = cut[d][2]
        device["technician_id"] = technician
        if d + 1 == len(cut):
            return []  # still in diagnosis
        outcome, outcome_at = cut[d + 1][0], cut[d + 1][1]
        self.work(device["id"], technician, WorkKind.DIAGNOSIS, x.randint(10, 45), outcome_at)
        for status, at, *_ in cut[d + 2:]:
            if status == S.QUALITY_CHECK:
                self.work(device["id"], technician, WorkKind.REPAIR, x.randint(15, 150), at)
        if warranty and outcome == S.REPAIR:
            device["warranty_confirmed"] = True
        quote = None
        if outcome == S.AWAITING_APPROVAL or (auto and outcome == S.REPAIR):
            quote = self.quote(o, device, category, technician, cut, d, statuses)
        repaired = S.QUALITY_CHECK in statuses
        if S.SHIPPED not in statuses or device["warranty_confirmed"]:
            return []
        came_from = statuses[len(statuses) - 1 - statuses[::-1].index(S.READY_TO_SHIP) - 1]
        rate = self.companies[o["company_id"]]["rate"]
        if came_from in (S.DECLINED, S.BEYOND_REPAIR, S.NO_FAULT_FOUND):
            fee, code, what = ((NO_FAULT_FOUND_FEE, "NO-FAULT-FOUND", "Diagnosis fee (no fault found)")
                               if came_from == S.NO_FAULT_FOUND else
                               (DIAGNOSIS_FEE, "DIAGNOSIS", f"Diagnosis fee ({came_from.value.replace('_', ' ')})"))
            return [(device["id"], None, code, self.named(what, device), "fee", Decimal(1), fee, Decimal("0.00"),
                     rate)]
        if not repaired or quote is None or quote["decision"] in (None, Decision.DECLINED):
            return []
        return [(device["id"], line["id"], line["code"], self.named(line["description"], device), str(line["kind"]),
                 line["quantity"], line["unit_price"], line["unit_cost"], rate)
                for line in quote["lines"] if line["accepted"]]

    def invoice(self, o: dict, company: dict, charges: list, at: float) -> None:
        """The order's invoice, issued when its last device shipped (invoicing.on_shipped, per order),
        its totals as pricing.totals makes them. Most are paid, on time or a little late, once
        issued; a few are credited in full by a credit note instead."""
        x, ids = self.extra, self.ids
        ids["invoice"] += 1
        invoice_id = ids["invoice"]
        lines, bases, net = [], {}, ZERO
        for position, (device_id, quote_line_id, code, description, kind, quantity, price, cost, rate) in \
                enumerate(charges, start=1):
            amount = (quantity * price).quantize(CENT, ROUND_HALF_UP)
            net += amount
            bases[rate] = bases.get(rate, ZERO) + amount
            ids["invoice_line"] += 1
            lines.append({
                "id": ids["invoice_line"], "invoice_id": invoice_id, "position": position, "device_id": device_id,
                "quote_line_id": quote_line_id, "code": code, "description": description, "kind": kind,
                "quantity": quantity, "unit_price": price, "unit_cost": cost, "amount": amount, "tax_rate": rate[1],
                "tax_name": rate[0], "tax_note": rate[2]})
        taxes = [(name, rate, note, base, (base * rate / 100).quantize(CENT, ROUND_HALF_UP))
                 for (name, rate, note), base in sorted(bases.items(), key=lambda kv: (-kv[0][1], kv[0][0]))]
        tax = sum((t[4] for t in taxes), ZERO)
        # fixed at issue as invoicing.issue does: the parts at cost, the minutes worked on the devices
        parts = sum(((line["quantity"] * line["unit_cost"]).quantize(CENT, ROUND_HALF_UP) for line in lines), ZERO)
        minutes = sum(self.minutes_worked.pop(device_id, 0) for device_id in {line["device_id"] for line in lines})
        costs = {"parts_cost": parts, "technician_minutes": minutes}
        credited = at + x.uniform(2, 30) * DAY
        if x.random() < CREDIT_NOTE_SHARE and credited <= self.now_ts:
            self.add_invoice(invoice_id, InvoiceKind.INVOICE, o, company, at, net, tax, taxes, lines, costs=costs)
            ids["invoice"] += 1
            note_id = ids["invoice"]
            note_lines = []
            for line in lines:
                ids["invoice_line"] += 1
                note_lines.append({**line, "id": ids["invoice_line"], "invoice_id": note_id,
                                   "quantity": -line["quantity"], "amount": -line["amount"]})
            self.add_invoice(note_id, InvoiceKind.CREDIT_NOTE, o, company, credited, -net, -tax,
                             [(n, r, nt, -b, -a) for n, r, nt, b, a in taxes], note_lines, credited=invoice_id,
                             note="Goods returned: the repair was not wanted after all",
                             costs={"parts_cost": -parts, "technician_minutes": 0})
            return
        paid = at + x.uniform(1, PAYMENT_TERMS_DAYS + 25) * DAY
        paid = paid if paid <= self.now_ts and x.random() < 0.97 else None
        self.add_invoice(invoice_id, InvoiceKind.INVOICE, o, company, at, net, tax, taxes, lines, paid=paid,
                         costs=costs)
        if paid is not None:
            ids["payment"] += 1
            self.paperwork[Payment].append({
                "id": ids["payment"], "invoice_id": invoice_id, "amount": net + tax,
                "paid_on": datetime.fromtimestamp(int(paid), self.tz).date(), "reference": f"TR/{o['id']}/{invoice_id}",
                "recorded_by_id": self.staff[Role.ADMIN][0], "recorded_at": self.dt(paid)})

    def add_invoice(self, invoice_id: int, kind: InvoiceKind, o: dict, company: dict, at: float, net: Decimal,
                    tax: Decimal, taxes: list, lines: list, *, credited: int | None = None, note: str = "",
                    paid: float | None = None, costs: dict) -> None:
        """An invoice's row and lines; its number comes later (number_invoices), in the order of issue."""
        day = datetime.fromtimestamp(int(at), self.tz).date()  # the depot's date: the invoice's year
        gross = net + tax
        self.paperwork[Invoice].append({
            "id": invoice_id, "kind": kind, "number": f"~{invoice_id}", "year": day.year, "sequence": -invoice_id,
            "company_id": o["company_id"], "order_id": o["id"], "parcel_id": None, "credited_invoice_id": credited,
            "issued_at": self.dt(at),
            "due_date": day + timedelta(days=PAYMENT_TERMS_DAYS if kind == InvoiceKind.INVOICE else 0),
            "currency": "EUR", "buyer": company["buyer"], "seller": SELLER, "net": net, "tax": tax, "gross": gross,
            "taxes": [{"name": name, "rate": str(rate), "note": text_, "base": str(base), "amount": str(amount)}
                      for name, rate, text_, base, amount in taxes],
            "note": note, "paid_amount": gross if paid else ZERO, "paid_at": self.dt(paid) if paid else None,
            "emailed_at": self.dt(at), **costs})
        self.paperwork[InvoiceLine].extend(lines)
        self.numbering.append((kind, day.year, at, invoice_id))

    def number_invoices(self) -> None:
        """Numbers per kind and year in the order of issue, without gaps (invoicing.next_number), and
        the counters the portal's next invoice continues from."""
        started = time.perf_counter()
        table = Invoice.__table__
        counters: dict[tuple, int] = {}
        rows = []
        for kind, year, _at, invoice_id in sorted(self.numbering, key=lambda n: (n[2], n[3])):
            sequence = counters[kind, year] = counters.get((kind, year), 0) + 1
            prefix = "CN" if kind == InvoiceKind.CREDIT_NOTE else "INV"
            rows.append({"b_id": invoice_id, "b_number": f"{prefix}/{year}/{sequence:06d}", "b_sequence": sequence})
        renumber = (table.update().where(table.c.id == bindparam("b_id"))
                    .values(number=bindparam("b_number"), sequence=bindparam("b_sequence")))
        with self.engine.begin() as conn:
            for start in range(0, len(rows), CHUNK_ROWS):
                conn.execute(renumber, rows[start:start + CHUNK_ROWS])
            self.insert(conn, InvoiceCounter.__table__, [
                {"id": n, "kind": kind, "year": year, "last_number": last}
                for n, ((kind, year), last) in enumerate(sorted(counters.items()), start=1)])
        self.log(f"  invoices numbered: {len(rows):,}, {time.perf_counter() - started:.1f} s")

    @staticmethod
    def named(description: str, device: dict) -> str:
        """invoicing._named: the line says which device it is for."""
        return (f"{description} — {device['tag_code']}, {device['manufacturer']} {device['model']}, "
                f"S/N {device['serial_number']}")[:300]

    def work(self, device_id: int, technician: int, kind: WorkKind, minutes: int, at: float) -> None:
        self.minutes_worked[device_id] = self.minutes_worked.get(device_id, 0) + minutes
        self.ids["work"] += 1
        self.paperwork[WorkEntry].append({
            "id": self.ids["work"], "device_id": device_id, "user_id": technician, "kind": kind, "minutes": minutes,
            "note": "Diagnosed" if kind == WorkKind.DIAGNOSIS else "Repaired", "at": self.dt(at)})

    def quote(self, o: dict, device: dict, category: str, technician: int, cut: list, d: int,
              statuses: list) -> dict:
        """One revision, sent when the device went to awaiting approval (or approved at once by the
        company's policy), decided when it moved on: 1-4 lines, required and recommended."""
        x, dt, ids = self.extra, self.dt, self.ids
        company = self.companies[o["company_id"]]
        rate_name, rate, rate_note = company["rate"]
        parts = PARTS[category]
        wanted = []  # (tier, code, quantity)
        main = parts[int(x.random() ** 1.5 * len(parts))][0] if x.random() < 0.8 else None
        if main:
            wanted.append((LineTier.REQUIRED, main, 1))
        wanted.append((LineTier.REQUIRED, LABOUR[0], x.randint(1, 4)))
        extras = [code for code, *_ in parts if code.endswith("-BAT") and code != main] + [c for c, *_ in EXTRAS]
        for code in x.sample(extras, k=min(len(extras), x.choice((0, 0, 1, 1, 2)), 4 - len(wanted))):
            wanted.append((LineTier.RECOMMENDED, code, 1))
        sent_at = cut[d + 1][1]
        automatic = statuses[d + 1] == S.REPAIR
        decided = cut[d + 1] if automatic else cut[d + 2] if d + 2 < len(cut) else None
        recommended = [n for n, (tier, *_) in enumerate(wanted) if tier == LineTier.RECOMMENDED]
        if decided is None:
            decision, chosen = None, set()
        elif automatic:
            decision, chosen = Decision.AUTOMATIC, set()
        elif decided[0] == S.DECLINED:
            decision, chosen = Decision.DECLINED, None
        else:
            roll = x.random()
            if not recommended or roll < 0.5:
                decision, chosen = Decision.REQUIRED, set()
            elif roll < 0.82 or len(recommended) == 1:
                decision, chosen = Decision.RECOMMENDED, set(recommended)
            else:
                decision, chosen = Decision.LINES, {x.choice(recommended)}
        ids["quote"] += 1
        quote_id = ids["quote"]
        repaired = S.QUALITY_CHECK in statuses
        lines = []
        for position, (tier, code, quantity) in enumerate(wanted, start=1):
            item_id, description, price, cost, kind = self.price_items[code]
            accepted = None if decision is None else (
                chosen is not None and (tier == LineTier.REQUIRED or position - 1 in chosen))
            ids["quote_line"] += 1
            lines.append({
                "id": ids["quote_line"], "quote_id": quote_id, "position": position, "price_item_id": item_id,
                "code": code, "description": description, "kind": kind, "tier": tier, "quantity": Decimal(quantity),
                "unit_price": price, "unit_cost": cost, "tax_rate": rate, "tax_name": rate_name,
                "tax_note": rate_note, "reason": "", "accepted": accepted, "done": bool(accepted and repaired)})
            if decision is not None and not accepted and tier == LineTier.RECOMMENDED:
                ids["declined"] += 1
                self.paperwork[DeclinedRecommendation].append({
                    "id": ids["declined"], "company_id": o["company_id"], "serial_number": device["serial_number"],
                    "code": code, "description": description, "quote_id": quote_id, "declined_at": dt(decided[1])})
        decided_at = decided[1] if decided else None
        self.paperwork[Quote].append({
            "id": quote_id, "device_id": device["id"], "revision": 1,
            "state": QuoteState.SENT if decision is None else QuoteState.DECIDED,
            "findings": FINDINGS[int(x.random() * len(FINDINGS))], "currency": "EUR", "created_by_id": technician,
            "created_at": dt(sent_at - x.uniform(300, 3600)), "sent_at": dt(sent_at),
            "reminded_at": dt(sent_at + 3 * DAY) if (decided_at or self.now_ts) - sent_at > 3 * DAY else None,
            "escalated_at": None, "decision": decision, "decided_at": dt(decided_at) if decided_at else None,
            "decided_by_id": decided[2] if decided and not automatic else None, "decided_for_id": None,
            "consent_note": "", "po_number": ""})
        self.paperwork[QuoteLine].extend(lines)
        return {"decision": decision, "lines": lines}

    def life_after_receipt(self, steps: list, t: float, warranty: bool, owner: int, auto: bool = False) -> None:
        """Received -> diagnosis -> (quote) -> repair -> QC -> ready -> shipped -> delivered, with detours."""
        rng, uniform, random_ = self.rng, self.rng.uniform, self.rng.random
        staff = self.staff
        technician = rng.choice(staff[Role.TECHNICIAN])
        bench = f"Bench {technician % 12 + 1}"
        dispatch = rng.choice(staff[Role.DISPATCH])
        t += uniform(0.1, 1.5) * DAY
        steps.append((S.DIAGNOSIS, t, technician, bench, ""))
        roll = random_()
        if roll < 0.10:
            t += uniform(0.3, 2) * DAY
            if roll < 0.06:
                steps.append((S.NO_FAULT_FOUND, t, technician, bench, ""))
            else:
                steps.append((S.BEYOND_REPAIR, t, technician, bench, rng.choice(BEYOND_REPAIR_REASONS)))
            t += uniform(0.1, 1) * DAY
            steps.append((S.READY_TO_SHIP, t, dispatch, "Dispatch", ""))
        else:
            declined = False
            if not warranty and not auto:
                t += uniform(0.3, 1.5) * DAY
                steps.append((S.AWAITING_APPROVAL, t, technician, bench, ""))
                t += uniform(0.2, 6) * DAY
                answer = random_()
                if answer < 0.12:
                    declined = True
                    steps.append((S.DECLINED, t, owner, "", ""))
                    t += uniform(0.1, 1) * DAY
                    steps.append((S.READY_TO_SHIP, t, dispatch, "Dispatch", ""))
                elif answer < 0.20:
                    steps.append((S.WAITING_FOR_PARTS, t, owner, "", ""))
                    t += uniform(2, 12) * DAY
                    steps.append((S.REPAIR, t, None, "", ""))
                else:
                    steps.append((S.REPAIR, t, owner, "", ""))
            else:  # a warranty repair, or a quote the company's policy approves at once
                t += uniform(0.3, 2) * DAY
                steps.append((S.REPAIR, t, technician, bench, AUTO_NOTE if auto else ""))
                if random_() < 0.07:
                    t += uniform(0.2, 1) * DAY
                    steps.append((S.WAITING_FOR_PARTS, t, technician, bench, ""))
                    t += uniform(2, 12) * DAY
                    steps.append((S.REPAIR, t, None, "", ""))
            if not declined:
                t += uniform(0.3, 3) * DAY
                steps.append((S.QUALITY_CHECK, t, technician, bench, ""))
                tester = rng.choice(staff[Role.TESTER])
                if random_() < 0.04:
                    t += uniform(0.1, 1) * DAY
                    steps.append((S.REPAIR, t, tester, "Quality check", rng.choice(QC_FAIL_NOTES)))
                    t += uniform(0.3, 2) * DAY
                    steps.append((S.QUALITY_CHECK, t, technician, bench, ""))
                t += uniform(0.1, 1) * DAY
                steps.append((S.READY_TO_SHIP, t, tester, "Quality check", ""))
        t += uniform(0.1, 2) * DAY
        steps.append((S.SHIPPED, t, dispatch, "Dispatch", ""))
        t += uniform(1, 4) * DAY
        steps.append((S.DELIVERED, t, None, "", ""))


def main() -> None:  # python -m bench.seed [--reseed] [--scale F]
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1")))
    args = parser.parse_args()
    facts = ensure_seeded(database_url(), reseed=args.reseed, scale=Scale().scaled(args.scale))
    json.dump({k: v for k, v in facts.items() if k != "password"}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
