"""`flask backup`: one private, rotated dump of the database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from eventsite.backups.service import BackupError, write_backup
from eventsite.core.time import utcnow
from eventsite.extensions import db
from eventsite.outbox import service as hold


@click.command("backup")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the dumps (default: the BACKUP_DIR setting); created 0700 if missing.",
)
@click.option(
    "--keep-days",
    type=click.IntRange(min=1),
    default=None,
    help="Remove this command's dumps older than this many days (default: BACKUP_KEEP_DAYS).",
)
@click.option(
    "--label",
    default="nightly",
    show_default=True,
    help="Why the dump is taken, part of its name (e.g. pre-upgrade).",
)
@with_appcontext
def backup_command(directory: Path | None, keep_days: int | None, label: str):
    """Write a dump of the database (mode 0600) and remove the expired ones."""
    config = current_app.config
    # A dump always carries the database's identity, so putting it back is noticed.
    hold.check_identity()
    db.session.commit()
    try:
        outcome = write_backup(
            config["SQLALCHEMY_DATABASE_URI"],
            directory or Path(config["BACKUP_DIR"]),
            label=label,
            keep_days=keep_days or config["BACKUP_KEEP_DAYS"],
            now=utcnow(),
        )
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Wrote {outcome.path} ({outcome.size} bytes)")
    for path in outcome.removed:
        click.echo(f"Removed {path}")
