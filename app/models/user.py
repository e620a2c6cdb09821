"""The user account: identity, role, trading mode and security state."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.enums import KycStatus, Role, TradingMode
from app.extensions import db
from app.models._columns import created_at_column, enum_column_type, updated_at_column
from app.models.types import Amount, UTCDateTime


class User(UserMixin, db.Model):
    """A trader or an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[Role] = mapped_column(enum_column_type(Role), nullable=False, default=Role.TRADER)
    trading_mode: Mapped[TradingMode] = mapped_column(
        enum_column_type(TradingMode), nullable=False, default=TradingMode.PAPER
    )
    # The mode to return to when a halt is lifted.
    mode_before_halt: Mapped[TradingMode | None] = mapped_column(
        enum_column_type(TradingMode, name="mode_before_halt")
    )
    halted_reason: Mapped[str | None] = mapped_column(String(500))
    halted_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paper_balance: Mapped[Decimal] = mapped_column(Amount(), nullable=False)
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last accepted TOTP time step, so a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    risk_disclosure_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    risk_disclosure_version: Mapped[str | None] = mapped_column(String(32))
    kyc_status: Mapped[KycStatus] = mapped_column(
        enum_column_type(KycStatus), nullable=False, default=KycStatus.NONE
    )
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    # Bumped on logout and password change: every older session cookie stops working.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    failed_login_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    def get_id(self) -> str:
        """Flask-Login's session key: the id bound to the current session version."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def has_2fa(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret_encrypted is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


# Emails are stored lower-cased; the expression index also guards rows written by hand.
Index("uq_users_email_lower", func.lower(User.email), unique=True)
