"""`flask users …` commands."""

import click

users_cli = click.Group("users", help="Manage member accounts.")
