"""APScheduler setup, the job registry, `flask scheduler run`."""

import click

scheduler_cli = click.Group("scheduler", help="Run scheduled notices.")


def init_app(app):
    pass
