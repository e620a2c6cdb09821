"""What the schema itself guarantees, whatever code writes to it."""
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.models import AuditEvent, PlatformSettings
from app.models.audit import AuditTrailIsAppendOnly
from tests.factories import UserFactory


def test_email_uniqueness_ignores_case_in_the_database(db):
    UserFactory(email="trader@example.com")
    db.session.commit()
    # Written around the service, which lower-cases: the expression index still refuses it.
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.text(
                "INSERT INTO users (email, password_hash, role, trading_mode, paper_balance, kyc_status, "
                "timezone, session_version, failed_login_count, created_at, updated_at) VALUES "
                "('Trader@Example.COM', 'x', 'trader', 'paper', 0, 'none', 'UTC', 1, 0, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    db.session.rollback()


def test_enum_columns_refuse_unknown_values_in_the_database(db):
    user = UserFactory()
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(sa.text("UPDATE users SET trading_mode = 'yolo' WHERE id = :id"), {"id": user.id})
    db.session.rollback()


def test_platform_settings_is_a_single_row(db):
    db.session.add(PlatformSettings())
    db.session.commit()
    db.session.add(PlatformSettings(id=2))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_audit_events_cannot_be_changed_through_the_orm(db):
    event = AuditEvent(action="mode_switched", reason="test")
    db.session.add(event)
    db.session.commit()
    event.reason = "rewritten history"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()


def test_audit_events_cannot_be_changed_in_sql_on_postgresql(db, is_postgres):
    if not is_postgres:
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the ORM guard")
    db.session.add(AuditEvent(action="kill_switch_engaged"))
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(sa.text("UPDATE audit_events SET action = 'nothing_happened'"))
    db.session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(sa.text("DELETE FROM audit_events"))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1
