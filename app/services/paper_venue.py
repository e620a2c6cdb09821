"""The paper simulator's state in the database, and the quotes it fills against."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from app.brokers.paper.store import PaperHolding, PaperOrder
from app.extensions import db
from app.models import PaperAccount, PaperHoldingRow, PaperOrderRow

_ID_PREFIX = "paper-"


class SqlPaperStore:
    """A PaperStore over one connection's rows; writes join the caller's transaction."""

    def __init__(self, connection_id: int, opening_cash: Decimal, currency: str = "USD"):
        self._connection_id = connection_id
        self._opening_cash = opening_cash
        self.currency = currency

    def lock(self) -> None:
        # Venue changes happen outside the user's order lock (after the write-ahead commit), so the
        # account row is the venue's own lock: two fills can never both spend the same cash.
        self._account(for_update=True)

    def _account(self, for_update: bool = False) -> PaperAccount:
        query = select(PaperAccount).where(PaperAccount.connection_id == self._connection_id)
        if for_update:
            if db.session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update()
            else:
                db.session.execute(
                    update(PaperAccount).where(PaperAccount.connection_id == self._connection_id)
                    .values(connection_id=PaperAccount.connection_id)
                )
        account = db.session.scalar(query.execution_options(populate_existing=True))
        if account is None:
            account = PaperAccount(connection_id=self._connection_id, cash=self._opening_cash, currency=self.currency)
            db.session.add(account)
            db.session.flush()
        return account

    def cash(self) -> Decimal:
        return self._account().cash

    def set_cash(self, amount: Decimal) -> None:
        self._account().cash = amount

    def _holding_row(self, symbol: str) -> PaperHoldingRow | None:
        return db.session.scalar(
            select(PaperHoldingRow).where(
                PaperHoldingRow.connection_id == self._connection_id, PaperHoldingRow.symbol == symbol
            )
        )

    def holdings(self) -> list[PaperHolding]:
        rows = db.session.scalars(
            select(PaperHoldingRow).where(PaperHoldingRow.connection_id == self._connection_id)
            .order_by(PaperHoldingRow.symbol)
        )
        return [PaperHolding(r.symbol, r.quantity, r.avg_price, r.asset_class) for r in rows]

    def holding(self, symbol: str) -> PaperHolding | None:
        row = self._holding_row(symbol)
        return PaperHolding(row.symbol, row.quantity, row.avg_price, row.asset_class) if row else None

    def save_holding(self, holding: PaperHolding) -> None:
        row = self._holding_row(holding.symbol)
        if holding.quantity == 0:
            if row is not None:
                db.session.delete(row)
            return
        if row is None:
            row = PaperHoldingRow(connection_id=self._connection_id, symbol=holding.symbol)
            db.session.add(row)
        row.quantity, row.avg_price, row.asset_class = holding.quantity, holding.avg_price, holding.asset_class
        db.session.flush()

    def orders(self) -> list[PaperOrder]:
        rows = db.session.scalars(
            select(PaperOrderRow).where(PaperOrderRow.connection_id == self._connection_id).order_by(PaperOrderRow.id)
        )
        return [_to_order(row) for row in rows]

    def _order_row(self, order_id: str) -> PaperOrderRow | None:
        number = order_id.removeprefix(_ID_PREFIX)
        if not number.isdigit():
            return None
        row = db.session.get(PaperOrderRow, int(number))
        return row if row is not None and row.connection_id == self._connection_id else None

    def order(self, order_id: str) -> PaperOrder | None:
        row = self._order_row(order_id)
        return _to_order(row) if row else None

    def order_by_client_id(self, client_order_id: str) -> PaperOrder | None:
        row = db.session.scalar(
            select(PaperOrderRow).where(
                PaperOrderRow.connection_id == self._connection_id, PaperOrderRow.client_order_id == client_order_id
            )
        )
        return _to_order(row) if row else None

    def add_order(self, order: PaperOrder) -> PaperOrder:
        row = PaperOrderRow(connection_id=self._connection_id, placed_at=order.created_at)
        _copy_into(row, order)
        db.session.add(row)
        db.session.flush()
        return _to_order(row)

    def save_order(self, order: PaperOrder) -> None:
        row = self._order_row(order.order_id)
        if row is None:
            raise LookupError(f"paper order {order.order_id} does not belong to this connection")
        _copy_into(row, order)
        db.session.flush()


_ORDER_FIELDS = (
    "client_order_id", "symbol", "side", "quantity", "order_type", "time_in_force", "asset_class", "status",
    "limit_price", "stop_price", "filled_quantity", "avg_fill_price", "commission", "stop_triggered",
    "reject_reason",
)


def _copy_into(row: PaperOrderRow, order: PaperOrder) -> None:
    for name in _ORDER_FIELDS:
        setattr(row, name, getattr(order, name))


def _to_order(row: PaperOrderRow) -> PaperOrder:
    return PaperOrder(
        order_id=f"{_ID_PREFIX}{row.id}", created_at=row.placed_at,
        **{name: getattr(row, name) for name in _ORDER_FIELDS},
    )
