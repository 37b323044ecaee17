"""`flask staff`, `flask jobs` and `flask demo` commands: the same domain functions, then commit."""

import time

import click
from flask.cli import AppGroup

from portal import outbox, staff
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Role

staff_cli = AppGroup("staff", help="Depot staff accounts.")
jobs_cli = AppGroup("jobs", help="Scheduled work: safe to run from cron, again and again.")
demo_cli = AppGroup("demo", help="Demo data for `make run`.")


@staff_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice([r.value for r in Role]), help="A role; repeat for several.")
@click.option("--password", help="Initial password; without it an invitation e-mail is queued.")
def create_staff_command(email, name, roles, password):
    """Create a staff member with one or more roles."""
    try:
        user = staff.create_staff(email=email, name=name, roles=[Role(r) for r in roles], password=password)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(r.role for r in user.roles))}")


def run_jobs() -> dict[str, int]:
    from portal import bench, deadlines, dispatch, invoicing, orders, quote_mail, reports

    reminders = orders.send_parcel_reminders()
    db.session.commit()
    assigned = bench.assign_unassigned()
    db.session.commit()
    quote_reminders = quote_mail.send_reminders()
    db.session.commit()
    overdue = deadlines.send_overdue_digests()
    db.session.commit()
    escalations = deadlines.send_escalations()
    db.session.commit()
    counted = reports.refresh()
    db.session.commit()
    delivered = dispatch.deliver_overdue()
    db.session.commit()
    invoiced = invoicing.issue_missing()  # before the outbox, so the invoices' e-mails go out in this run
    db.session.commit()
    return {"parcel reminders": reminders, "devices assigned": assigned, "quote reminders": quote_reminders,
            "overdue digests": overdue, "escalations": escalations, "transitions summarised": counted,
            "parcels delivered": delivered, "invoices issued": invoiced,
            "mail written": outbox.compose_deferred(), "mail": sum(outbox.send_queued().values())}


@jobs_cli.command("run")
def run_jobs_command():
    """Run every due job once: parcel reminders, technicians for received devices, quote reminders,
    overdue digests and escalations, the reports' summaries, parcels delivered after the days for it,
    invoices that pick-ups left missing, the mail outbox."""
    results = run_jobs()
    click.echo(", ".join(f"{name}: {count}" for name, count in results.items()))


@jobs_cli.command("loop")
@click.option("--every", default=60, show_default=True, help="Seconds between runs.")
def loop_jobs_command(every):
    """Run the jobs again and again, as cron would (used by `make run`)."""
    while True:
        try:
            run_jobs()
        except Exception as error:  # keep the demo's job loop alive; the next run retries
            db.session.rollback()
            click.echo(f"jobs: {error}", err=True)
        db.session.remove()
        time.sleep(every)


@demo_cli.command("load")
def load_demo_command():
    """Load the demo depot, companies and users (again: changes nothing)."""
    from portal.demo import DEMO_PASSWORD, load_demo

    logins = load_demo()
    db.session.commit()
    click.echo("Demo logins (who, e-mail, password):")
    for who, email in logins:
        click.echo(f"  {who}, {email}, {DEMO_PASSWORD}")
