"""Credential encryption: round trip, row binding, rotation, and no plaintext at rest."""
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from app.domain.enums import BrokerEnvironment, BrokerName
from app.extensions import db
from app.models import BrokerConnection
from app.security import CredentialCipher, DecryptionError, matching_totp_step
from app.services import credentials
from tests.factories import UserFactory

API_SECRET = "sk-live-4f1c9e7d2b8a6350"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"


def _connection(user, **fields):
    connection = BrokerConnection(
        user_id=user.id, broker=BrokerName.ALPACA, environment=BrokerEnvironment.PAPER, label="Alpaca", **fields
    )
    db.session.add(connection)
    db.session.flush()
    return connection


def test_cipher_round_trip_and_context_binding():
    cipher = CredentialCipher([Fernet.generate_key().decode()])
    token = cipher.encrypt("hunter2", "users:1:totp_secret")
    assert "hunter2" not in token
    assert cipher.decrypt(token, "users:1:totp_secret") == "hunter2"
    with pytest.raises(DecryptionError, match="another record"):
        cipher.decrypt(token, "users:2:totp_secret")


def test_bad_keys_are_a_clear_error():
    with pytest.raises(ValueError, match="Fernet key"):
        CredentialCipher(["not-a-key"])
    with pytest.raises(ValueError, match="empty"):
        CredentialCipher([])


def test_tampered_ciphertext_is_refused():
    cipher = CredentialCipher([Fernet.generate_key().decode()])
    token = cipher.encrypt("hunter2", "ctx")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token[:-4] + "AAAA", "ctx")


def test_connection_credentials_round_trip(app):
    user = UserFactory()
    connection = _connection(user)
    credentials.store_connection_credentials(connection, {"key_id": "PK123", "secret_key": API_SECRET})
    db.session.commit()
    db.session.expire_all()
    assert credentials.read_connection_credentials(db.session.get(BrokerConnection, connection.id)) == {
        "key_id": "PK123",
        "secret_key": API_SECRET,
    }


def test_a_secret_copied_into_another_users_row_fails_to_decrypt(app):
    alice, mallory = UserFactory(), UserFactory()
    alice_connection, mallory_connection = _connection(alice), _connection(mallory)
    credentials.store_connection_credentials(alice_connection, {"secret_key": API_SECRET})
    credentials.store_totp_secret(alice, TOTP_SECRET)
    mallory_connection.credentials_encrypted = alice_connection.credentials_encrypted
    mallory.totp_secret_encrypted = alice.totp_secret_encrypted
    db.session.commit()
    with pytest.raises(DecryptionError):
        credentials.read_connection_credentials(mallory_connection)
    with pytest.raises(DecryptionError):
        credentials.read_totp_secret(mallory)
    assert credentials.read_totp_secret(alice) == TOTP_SECRET


def test_the_database_never_holds_a_plaintext_secret(app):
    user = UserFactory()
    credentials.store_connection_credentials(_connection(user), {"secret_key": API_SECRET})
    credentials.store_totp_secret(user, TOTP_SECRET)
    db.session.commit()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.text(f"SELECT * FROM {table.name}")):
            dumped = " ".join(str(value) for value in row)
            assert API_SECRET not in dumped and TOTP_SECRET not in dumped, f"plaintext secret in {table.name}"


def test_rotation_re_encrypts_every_secret_under_the_new_key(app_factory):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with app_factory(ENCRYPTION_KEYS=[old_key]).app_context():
        user = UserFactory()
        connection = _connection(user)
        credentials.store_connection_credentials(connection, {"secret_key": API_SECRET})
        credentials.store_totp_secret(user, TOTP_SECRET)
        db.session.commit()
        user_id, connection_id = user.id, connection.id
        before = connection.credentials_encrypted

    rotating_app = app_factory(ENCRYPTION_KEYS=[new_key, old_key])
    result = rotating_app.test_cli_runner().invoke(args=["rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 2 secrets" in result.output

    # The old key can now be retired: the new key alone reads everything.
    with app_factory(ENCRYPTION_KEYS=[new_key]).app_context():
        connection = db.session.get(BrokerConnection, connection_id)
        assert connection.credentials_encrypted != before
        assert credentials.read_connection_credentials(connection) == {"secret_key": API_SECRET}
        assert credentials.read_totp_secret(db.session.get(type(user), user_id)) == TOTP_SECRET


def test_rotation_changes_nothing_when_a_secret_is_unreadable(app_factory):
    lost_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with app_factory(ENCRYPTION_KEYS=[lost_key]).app_context():
        user = UserFactory()
        credentials.store_totp_secret(user, TOTP_SECRET)
        db.session.commit()
        before = user.totp_secret_encrypted
        user_id = user.id

    result = app_factory(ENCRYPTION_KEYS=[new_key]).test_cli_runner().invoke(args=["rotate-keys"])
    assert result.exit_code != 0
    assert "cannot be decrypted" in result.output and "nothing was rotated" in result.output
    with app_factory(ENCRYPTION_KEYS=[lost_key]).app_context():
        assert db.session.get(type(user), user_id).totp_secret_encrypted == before


def test_totp_code_is_accepted_once():
    import pyotp

    now = 1_800_000_000.0
    code = pyotp.TOTP(TOTP_SECRET).at(now)
    step = matching_totp_step(TOTP_SECRET, code, now, last_used_step=None)
    assert step == int(now // 30)
    assert matching_totp_step(TOTP_SECRET, code, now, last_used_step=step) is None
    assert matching_totp_step(TOTP_SECRET, "12345", now, None) is None
    assert matching_totp_step(TOTP_SECRET, "abcdef", now, None) is None
