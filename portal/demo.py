"""Demo data that shows every feature with a login; loading it twice changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal import accounts, assignment, staff
from portal.dbbase import utcnow
from portal.extensions import db
from portal.models import Announcement, AssignmentRule, Company, ReturnAddress, Role, SizeBand, User

DEMO_PASSWORD = "demo-depot-2026"

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
            staff.create_staff(email=email, name=name, roles=roles, password=DEMO_PASSWORD)
        logins.append((f"{name} ({', '.join(r.value for r in roles)})", email))

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
