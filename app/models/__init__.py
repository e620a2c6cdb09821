"""SQLAlchemy models, one module per aggregate; models never commit."""
from app.models.api_token import ApiToken
from app.models.audit import AuditEvent
from app.models.broker_call import BrokerCall
from app.models.broker_connection import BrokerConnection
from app.models.compliance import ComplianceFlag
from app.models.data_source import DataSource
from app.models.equity_snapshot import EquitySnapshot, SnapshotKind
from app.models.job_run import JobRun
from app.models.notification import NotificationChannel, OutboxMessage
from app.models.order import Order, OrderFill
from app.models.paper import PaperAccount, PaperHoldingRow, PaperOrderRow
from app.models.platform import PlatformSettings
from app.models.position import Position
from app.models.quote import Quote
from app.models.risk_limits import RiskLimits
from app.models.user import User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "BrokerCall",
    "BrokerConnection",
    "ComplianceFlag",
    "DataSource",
    "EquitySnapshot",
    "SnapshotKind",
    "JobRun",
    "NotificationChannel",
    "Order",
    "OutboxMessage",
    "OrderFill",
    "PaperAccount",
    "PaperHoldingRow",
    "PaperOrderRow",
    "PlatformSettings",
    "Position",
    "RiskLimits",
    "Quote",
    "User",
]
