"""Helpers shared by every blueprint's forms."""
from __future__ import annotations

from flask_wtf import FlaskForm

from app.domain.errors import PortcullisError


def attach_error(form: FlaskForm, error: PortcullisError) -> None:
    """Show a service error beside the field it concerns, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def flash_refusal(error: PortcullisError) -> None:
    """Show a refusal after a redirect; another user's ids and forbidden actions answer 404/403 instead."""
    from flask import flash

    if error.http_status in (403, 404):
        raise error
    flash(error.message, "error")


def attempt(action, success: str) -> None:
    """Run a form's action and say how it went on the next page (403/404 still answer as such)."""
    from flask import flash

    try:
        action()
    except PortcullisError as error:
        flash_refusal(error)
    else:
        flash(success, "success")
