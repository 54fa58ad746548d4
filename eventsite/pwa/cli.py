"""`flask pwa icons`: draw the app icons into static/app-icons/."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from eventsite.pwa.icons import write_icons

pwa_cli = click.Group("pwa", help="The installable app: its icons.")


@pwa_cli.command("icons")
@with_appcontext
def icons_command():
    """Draw the app icons (192, 512, maskable 512, Apple's 180) into static/app-icons/."""
    for path in write_icons(Path(current_app.static_folder)):
        click.echo(path)
