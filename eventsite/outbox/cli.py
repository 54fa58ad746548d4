"""`flask outbox status | hold | release [--discard]`: the outbox hold from the command line."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from eventsite.extensions import db
from eventsite.outbox import rules, service

outbox_cli = click.Group(
    "outbox", help="Outgoing mail and SMS held after a restore: review and release."
)


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


@outbox_cli.command("status")
@with_appcontext
def status_command():
    """Show whether outgoing mail and SMS are held, and what is held."""
    service.check_identity()
    db.session.commit()
    current = service.current_hold()
    if current is None or not current.is_held:
        released = f" (last hold released {_when(current.released_at)} by {current.released_by})"
        click.echo(
            "Not held: mail and SMS are sent."
            + (released if current and current.released_at else "")
        )
        return
    held = service.held_messages(current.held_since)
    click.echo(f"HELD since {_when(current.held_since)}: {current.hold_reason}")
    click.echo(
        f"mail: {held.mail_count} held, queued from {_when(held.mail_oldest)} "
        f"to {_when(held.mail_newest)}"
    )
    for mail in held.mails:
        click.echo(f"  {_when(mail.queued_at)}  mail #{mail.id}  {mail.subject}")
    click.echo(
        f"sms: {held.sms_count} held, queued from {_when(held.sms_oldest)} "
        f"to {_when(held.sms_newest)}"
    )
    for text in held.texts:
        click.echo(f"  {_when(text.queued_at)}  sms #{text.id}  {text.kind}")
    click.echo(
        "Release with `flask outbox release` (send them) or `flask outbox release --discard` "
        "(never send them)."
    )


@outbox_cli.command("hold")
@with_appcontext
def hold_command():
    """Hold outgoing mail and SMS now (after restoring the database's files by hand)."""
    entered = service.enter_hold(rules.HELD_BY_HAND)
    db.session.commit()
    click.echo("Outgoing mail and SMS are held." if entered else "Already held.")


@outbox_cli.command("release")
@click.option(
    "--discard",
    is_flag=True,
    help="Mark every held mail and SMS discarded (never sent, kept for the record).",
)
@with_appcontext
def release_command(discard: bool):
    """End the hold: send what it held, or discard it with --discard."""
    outcome = service.release(None, discard=discard)
    if outcome is None:
        db.session.rollback()
        click.echo("Not held: nothing to release.")
        return
    db.session.commit()
    if discard:
        click.echo(
            f"Released: {outcome.mails} mails and {outcome.texts} SMS discarded, never sent."
        )
    else:
        click.echo(f"Released: {outcome.mails} mails and {outcome.texts} SMS will be sent.")
