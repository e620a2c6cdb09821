"""Forms of the trader's pages. Services validate every value; forms give the fields and CSRF."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

ORDER_TYPES = [SelectChoice("market", "Market"), SelectChoice("limit", "Limit"), SelectChoice("stop", "Stop"),
               SelectChoice("stop_limit", "Stop limit")]


class OrderForm(FlaskForm):
    connection_id = SelectField("Account", coerce=str)
    symbol = StringField("Symbol", validators=[DataRequired(), Length(max=32)])
    side = SelectField("Side", choices=[SelectChoice("buy", "Buy"), SelectChoice("sell", "Sell")])
    quantity = StringField("Quantity", validators=[DataRequired(), Length(max=24)])
    type = SelectField("Type", choices=ORDER_TYPES)
    limit_price = StringField("Limit price", validators=[Optional(), Length(max=24)])
    stop_price = StringField("Stop price", validators=[Optional(), Length(max=24)])
    time_in_force = SelectField("Time in force", choices=[SelectChoice("day", "Day"), SelectChoice("gtc", "Good till cancelled")])
    confirm = BooleanField("I confirm this order")
    totp = StringField("Two-factor code", validators=[Optional(), Length(max=10)])

    def payload(self) -> dict:
        """The order as the pipeline reads it (empty fields left out)."""
        fields = ("connection_id", "symbol", "side", "quantity", "type", "limit_price", "stop_price",
                  "time_in_force", "totp")
        body = {name: getattr(self, name).data for name in fields if getattr(self, name).data not in (None, "")}
        body["confirm"] = bool(self.confirm.data)
        return body


class ExitRulesForm(FlaskForm):
    stop_loss = StringField("Stop-loss", validators=[Optional(), Length(max=24)])
    take_profit = StringField("Take-profit", validators=[Optional(), Length(max=24)])
    trailing_stop_percent = StringField("Trailing stop %", validators=[Optional(), Length(max=12)])


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class TotpForm(FlaskForm):
    code = StringField("Code from your authenticator", validators=[DataRequired(), Length(min=6, max=10)])


class DisclosureForm(FlaskForm):
    accept = BooleanField("I have read and accept the risk disclosure", validators=[DataRequired()])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])


class ConnectionForm(FlaskForm):
    broker = SelectField("Broker", choices=[SelectChoice("alpaca", "Alpaca"), SelectChoice("tradier", "Tradier"), SelectChoice("zerodha", "Zerodha Kite"),
                                            SelectChoice("trading212", "Trading 212")])
    environment = SelectField("Environment", choices=[SelectChoice("paper", "Paper (Alpaca)"), SelectChoice("live", "Live"),
                                                      SelectChoice("sandbox", "Sandbox (Tradier)"), SelectChoice("production", "Production (Tradier)"),
                                                      SelectChoice("demo", "Demo (Trading 212)")])
    label = StringField("Label", validators=[Optional(), Length(max=100)])
    key = StringField("API key / key id / access token", validators=[Optional(), Length(max=512)])
    secret = PasswordField("Secret (where the broker has one)", validators=[Optional(), Length(max=512)])
    account_id = StringField("Account number (Tradier)", validators=[Optional(), Length(max=64)])
    proxy_url = StringField("Outbound proxy (optional)", validators=[Optional(), Length(max=512)])

    # Each broker names its keys differently; the form asks the same three questions of all of them.
    KEY_NAMES = {
        "alpaca": ("key_id", "secret_key", None),
        "tradier": ("access_token", None, "account_id"),
        "zerodha": ("api_key", "api_secret", None),
        "trading212": ("api_key", "api_secret", None),
    }

    def credentials(self) -> dict:
        key_name, secret_name, account_name = self.KEY_NAMES.get(self.broker.data, ("key", "secret", None))
        values = {key_name: self.key.data, secret_name: self.secret.data, account_name: self.account_id.data}
        return {name: value for name, value in values.items() if name and value}


class ChannelForm(FlaskForm):
    kind = SelectField("Channel", choices=[SelectChoice("telegram", "Telegram"), SelectChoice("slack", "Slack"),
                                           SelectChoice("discord", "Discord"), SelectChoice("email", "Email")])
    label = StringField("Label", validators=[Optional(), Length(max=100)])
    bot_token = PasswordField("Telegram bot token", validators=[Optional(), Length(max=200)])
    chat_id = StringField("Telegram chat id", validators=[Optional(), Length(max=40)])
    webhook_url = PasswordField("Webhook URL (Slack or Discord)", validators=[Optional(), Length(max=500)])
    address = StringField("Email address", validators=[Optional(), Length(max=254)])

    def settings(self) -> dict:
        return {name: getattr(self, name).data for name in ("bot_token", "chat_id", "webhook_url", "address")}


class LimitsForm(FlaskForm):
    max_position_size_percent = StringField("Max position size (% of equity)", validators=[Optional(), Length(max=12)])
    max_open_positions = StringField("Max open positions", validators=[Optional(), Length(max=12)])
    max_order_value = StringField("Max order value", validators=[Optional(), Length(max=24)])
    max_daily_loss_percent = StringField("Max daily loss (%)", validators=[Optional(), Length(max=12)])
    max_trades_per_day = StringField("Max trades per day", validators=[Optional(), Length(max=12)])

    def changes(self) -> dict:
        return {field.name: field.data for field in self if field.name != "csrf_token" and field.data}
