"""Forms for registration, login and password change."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from app.services.users import EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH

EMAIL_LENGTH = Length(max=EMAIL_MAX_LENGTH, message=f"Email must be at most {EMAIL_MAX_LENGTH} characters.")
NEW_PASSWORD_LENGTH = Length(
    min=PASSWORD_MIN_LENGTH,
    max=PASSWORD_MAX_LENGTH,
    message=f"Password must be between {PASSWORD_MIN_LENGTH} and {PASSWORD_MAX_LENGTH} characters.",
)
PASSWORD_LENGTH = Length(max=PASSWORD_MAX_LENGTH, message=f"Password must be at most {PASSWORD_MAX_LENGTH} characters.")


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), EMAIL_LENGTH])
    password = PasswordField(
        "Password", validators=[DataRequired(), NEW_PASSWORD_LENGTH]
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", message="Passwords must match.")]
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), EMAIL_LENGTH])
    password = PasswordField("Password", validators=[DataRequired(), PASSWORD_LENGTH])
    remember = BooleanField("Keep me signed in on this device")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), PASSWORD_LENGTH]
    )
    new_password = PasswordField(
        "New password", validators=[DataRequired(), NEW_PASSWORD_LENGTH]
    )
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("new_password", message="Passwords must match.")]
    )


class LogoutForm(FlaskForm):
    """Logging out is a POST with a CSRF token, so no other site can sign a user out."""
