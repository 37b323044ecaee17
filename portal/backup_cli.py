"""`flask backup DIR` and `flask restore DIR`: the whole portal, database and stored files."""

import click
from flask.cli import with_appcontext

from portal import backup
from portal.errors import DomainError


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB"


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False))
@with_appcontext
def backup_command(folder):
    """Copy the database and the stored files into FOLDER (new or empty) while the portal runs."""
    try:
        summary = backup.make_backup(folder)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Backed up the {summary.database} database and {summary.files} files "
               f"({_size(summary.bytes)}) to {summary.folder}")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(folder, yes):
    """Replace the database and the stored files with the backup in FOLDER."""
    try:
        manifest = backup.read_manifest(folder)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Backup of {manifest['created_at']} (UTC): {manifest['database']['kind']} database, "
               f"{manifest['files']['count']} files.")
    if not yes:
        click.confirm("Every change to the database since then will be lost. Restore it now?", abort=True)
    try:
        summary = backup.restore_backup(folder)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Restored the {summary.database} database and {summary.files} files from {summary.folder}")
