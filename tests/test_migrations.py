"""The Alembic migrations build exactly the schema the models describe, and take it down again."""

import os

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal import create_app
from portal.extensions import db
from tests.conftest import _reset_postgresql

pytestmark = pytest.mark.both_databases


@pytest.fixture
def empty_app(tmp_path, db_backend):
    """An app on an empty database: the schema must come from the migrations alone."""
    if db_backend == "postgresql":
        url = os.environ["TEST_DATABASE_URL"]
        _reset_postgresql(url)
    else:
        url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url})
    app.instance_path = str(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_the_migrated_schema_matches_the_models(empty_app):
    flask_migrate.upgrade()
    assert table_names() == set(db.metadata.tables) | {"alembic_version"}
    assert schema_differences() == []


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(empty_app):
    flask_migrate.upgrade()
    flask_migrate.downgrade(revision="base")
    assert table_names() == {"alembic_version"}
    flask_migrate.upgrade()
    assert schema_differences() == []
