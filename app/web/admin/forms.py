"""Forms of the admin pages; services check every value and every permission."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class ModeForm(FlaskForm):
    mode = SelectField("Mode", choices=[SelectChoice("paper", "Paper"), SelectChoice("live", "Live")])
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=128)])
    totp = StringField("Your two-factor code (if you have 2FA)", validators=[Optional(), Length(max=10)])


class ReasonForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])


class KycForm(FlaskForm):
    status = SelectField("KYC", choices=[SelectChoice("none", "None"), SelectChoice("pending", "Pending"), SelectChoice("verified", "Verified"),
                                         SelectChoice("rejected", "Rejected")])
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])


class KillSwitchForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])
    cancel_open_orders = BooleanField("Cancel every open live order")
    flatten = BooleanField("Flatten every live position (market orders through the pipeline)")
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=128)])
    totp = StringField("Your two-factor code (if you have 2FA)", validators=[Optional(), Length(max=10)])
    confirm = BooleanField("I understand this stops all live trading", validators=[DataRequired()])


class FlagForm(FlaskForm):
    outcome = SelectField("Outcome", choices=[SelectChoice("resolved", "Resolved"), SelectChoice("dismissed", "Dismissed")])
    note = StringField("What was found", validators=[DataRequired(), Length(max=500)])
