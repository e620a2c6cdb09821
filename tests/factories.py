"""factory_boy factories bound to the test session; they flush, the test commits."""
from __future__ import annotations

from decimal import Decimal
from functools import cache

import factory

from app.domain.enums import Role
from app.extensions import db
from app.models import RiskLimits, User
from app.services.users import hash_password

DEFAULT_PASSWORD = "correct horse battery"


@cache
def _default_password_hash() -> str:
    # scrypt is deliberately slow; hash the shared test password once per run.
    return hash_password(DEFAULT_PASSWORD)


class UserFactory(factory.alchemy.SQLAlchemyModelFactory):
    """A trader with the shared test password and platform-default limits."""

    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password_hash = factory.LazyFunction(_default_password_hash)
    role = Role.TRADER
    paper_balance = Decimal("100000")

    @factory.post_generation
    def limits(user, create, extracted, **overrides):
        if create:
            db.session.add(RiskLimits(user_id=user.id, **overrides))
            db.session.flush()
