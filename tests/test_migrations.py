"""The schema is made only by the migrations: they must give exactly what the models describe,
and they must run down to nothing and up again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from eventsite.extensions import db

#: Tables that live in the database but not in the models: APScheduler's job store.
FOREIGN_TABLES = {"apscheduler_jobs"}


def include_object(obj, name, type_, reflected, compare_to):
    """Leave out tables other libraries own (and their indexes)."""
    if type_ == "table":
        return name not in FOREIGN_TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name not in FOREIGN_TABLES


def schema_differences(connection) -> list:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_object": include_object,
        },
    )
    return compare_metadata(context, db.metadata)


def table_names() -> set[str]:
    db.session.remove()
    return set(sa.inspect(db.engine).get_table_names()) - FOREIGN_TABLES


def test_migrations_give_exactly_the_models_schema(app):
    with db.engine.connect() as connection:
        differences = schema_differences(connection)

    assert differences == []


def test_every_model_table_exists_after_the_migrations(app):
    assert set(db.metadata.tables) - FOREIGN_TABLES <= table_names()
    assert {"user", "event", "registration", "team", "track"} <= table_names()


def test_downgrade_to_base_and_upgrade_again(app):
    model_tables = set(db.metadata.tables) - FOREIGN_TABLES
    db.session.remove()

    downgrade(revision="base")

    assert table_names() & model_tables == set()

    upgrade()

    assert model_tables <= table_names()
    with db.engine.connect() as connection:
        assert schema_differences(connection) == []


def test_a_downgrade_that_rebuilds_the_user_table_keeps_what_refers_to_accounts(app):
    """SQLite changes a table by copying it and dropping the old one; with foreign keys on,
    dropping `user` would cascade into every table that refers to an account."""
    from eventsite.core.models import Notification
    from eventsite.events.models import Registration
    from tests.factories import make_event, make_registration, make_user

    member = make_user()
    make_registration(make_event(), member)
    db.session.add(Notification(user_id=member.id, subject="s", body="b"))
    db.session.commit()

    def counts():
        db.session.remove()
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Registration)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Notification)),
        )

    before = counts()
    assert before == (1, 1)
    db.session.remove()
    downgrade(revision="0011_sms_queue")  # past two revisions that change `user`
    assert counts() == before
    db.session.remove()
    upgrade()
    assert counts() == before
