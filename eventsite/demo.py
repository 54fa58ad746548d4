"""`flask demo load`: the seed page's three events as data."""

import click

demo_cli = click.Group("demo", help="Demo data from the seed stories.")
