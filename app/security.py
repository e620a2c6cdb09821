"""Credential encryption bound to its row, TOTP verification and token hashing."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets

import pyotp
from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class DecryptionError(Exception):
    """A ciphertext could not be read: wrong key, tampered, or bound to another row."""


def secret_context(table: str, row_id: int, column: str) -> str:
    """The binding a ciphertext carries: which row and column it belongs to."""
    if row_id is None:
        raise ValueError("a secret can only be bound to a row that has an id (flush first)")
    return f"{table}:{row_id}:{column}"


class CredentialCipher:
    """MultiFernet over ENCRYPTION_KEYS: the first key encrypts, every key decrypts.

    Fernet has no associated data, so the row binding travels inside the
    authenticated plaintext and is compared on the way out: a ciphertext
    copied into another user's row decrypts to the wrong context and is refused.
    """

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("ENCRYPTION_KEYS is empty")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except (ValueError, TypeError):
            raise ValueError(
                "every ENCRYPTION_KEYS entry must be a Fernet key (32 url-safe base64 bytes)"
            ) from None

    def encrypt(self, plaintext: str, context: str) -> str:
        envelope = json.dumps({"ctx": context, "val": plaintext}, separators=(",", ":"))
        return self._fernet.encrypt(envelope.encode()).decode()

    def decrypt(self, token: str, context: str) -> str:
        try:
            envelope = json.loads(self._fernet.decrypt(token.encode()))
        except (InvalidToken, ValueError, TypeError):
            raise DecryptionError("secret cannot be decrypted with the configured keys") from None
        if not isinstance(envelope, dict) or not hmac.compare_digest(
            str(envelope.get("ctx", "")), context
        ):
            raise DecryptionError("secret belongs to another record")
        return envelope["val"]

    def rotate(self, token: str) -> str:
        """Re-encrypt under the first key, keeping the plaintext and its binding."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise DecryptionError("secret cannot be decrypted with the configured keys") from None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_provisioning_uri(secret: str, account_name: str, issuer: str = "Portcullis") -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def matching_totp_step(secret: str, code: str, at_timestamp: float, last_used_step: int | None) -> int | None:
    """The time step `code` is valid for (one step of clock drift allowed), or None.

    A step at or before `last_used_step` is refused, so a code works once.
    """
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current_step = int(at_timestamp // totp.interval)
    for step in (current_step, current_step - 1, current_step + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_api_token() -> str:
    """A bearer token to show the user once; only its hash is stored."""
    return "pc_" + secrets.token_urlsafe(32)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
