"""The paper simulator's state in the database, and the quotes it fills against."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select, update

from app.brokers.paper import pricing
from app.brokers.paper.store import PaperHolding, PaperOrder
from app.domain.orders import OPEN_STATUSES
from app.extensions import db
from app.models import BrokerConnection, PaperAccount, PaperHoldingRow, PaperOrderRow, User
from app.services.market_data import stored_quotes
from app.services.transaction_cache import transaction_cache

_ID_PREFIX = "paper-"


class SqlPaperStore:
    """A PaperStore over one connection's rows; writes join the caller's transaction.

    What it reads it keeps for the rest of the transaction (see transaction_cache): an order's checks
    value the account, and its fill reads and writes the same account, holdings and orders again.
    """

    def __init__(self, connection_id: int, opening_cash: Decimal, currency: str = "USD"):
        self._connection_id = connection_id
        self._opening_cash = opening_cash
        self.currency = currency

    def _cache(self) -> dict:
        return transaction_cache(f"paper_venue:{self._connection_id}")

    def lock(self) -> None:
        # The account row is the venue's own lock: the matching of resting orders takes no user's lock,
        # and two fills must never both spend the same cash.
        cache = self._cache()
        if cache.get("locked"):
            return  # taken earlier in this transaction: everything read since was read under it
        cache.clear()  # read again under the lock whatever an unlocked look saw
        self._account(for_update=True)
        cache["locked"] = True

    def _holding_rows(self) -> dict[str, PaperHoldingRow]:
        cache = self._cache()
        if "holdings" not in cache:
            rows = db.session.scalars(
                select(PaperHoldingRow).where(PaperHoldingRow.connection_id == self._connection_id)
                .execution_options(populate_existing=True)  # what the database holds now, not an earlier copy
            )
            cache["holdings"] = {row.symbol: row for row in rows}
        return cache["holdings"]

    def _account(self, for_update: bool = False) -> PaperAccount:
        cache = self._cache()
        if not for_update and "account" in cache:
            return cache["account"]
        if for_update:
            query = select(PaperAccount).where(PaperAccount.connection_id == self._connection_id)
            if db.session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update()
            else:
                db.session.execute(
                    update(PaperAccount).where(PaperAccount.connection_id == self._connection_id)
                    .values(connection_id=PaperAccount.connection_id)
                )
            account = db.session.scalar(query.execution_options(populate_existing=True))
        else:
            account = db.session.get(PaperAccount, self._connection_id)
        if account is None:
            account = PaperAccount(connection_id=self._connection_id, cash=self._opening_cash, currency=self.currency)
            db.session.add(account)
            db.session.flush()
        cache["account"] = account
        return account

    def cash(self) -> Decimal:
        return self._account().cash

    def set_cash(self, amount: Decimal) -> None:
        self._account().cash = amount

    def holdings(self) -> list[PaperHolding]:
        rows = sorted(self._holding_rows().values(), key=lambda row: row.symbol)
        return [PaperHolding(r.symbol, r.quantity, r.avg_price, r.asset_class) for r in rows]

    def holding(self, symbol: str) -> PaperHolding | None:
        row = self._holding_rows().get(symbol)
        return PaperHolding(row.symbol, row.quantity, row.avg_price, row.asset_class) if row else None

    def save_holding(self, holding: PaperHolding) -> None:
        rows = self._holding_rows()
        row = rows.get(holding.symbol)
        if holding.quantity == 0:
            if row is not None:
                db.session.delete(row)
                del rows[holding.symbol]
                # Now, not at commit: a flush inserts before it deletes, and the symbol may be bought again.
                db.session.flush()
            return
        if row is None:
            row = PaperHoldingRow(connection_id=self._connection_id, symbol=holding.symbol)
            db.session.add(row)
            rows[holding.symbol] = row
        row.quantity, row.avg_price, row.asset_class = holding.quantity, holding.avg_price, holding.asset_class

    def orders(self) -> list[PaperOrder]:
        rows = db.session.scalars(
            select(PaperOrderRow).where(PaperOrderRow.connection_id == self._connection_id).order_by(PaperOrderRow.id)
        )
        return [_to_order(row) for row in rows]

    def _open_rows(self) -> dict[int, PaperOrderRow]:
        cache = self._cache()
        if "open" not in cache:
            rows = db.session.scalars(
                select(PaperOrderRow).where(PaperOrderRow.connection_id == self._connection_id,
                                            PaperOrderRow.status.in_(list(OPEN_STATUSES)))
                .execution_options(populate_existing=True)
            )
            cache["open"] = {row.id: row for row in rows}
            self._rows_read().update(cache["open"])
        return cache["open"]

    def _rows_read(self) -> dict[int, PaperOrderRow]:
        return self._cache().setdefault("rows", {})

    def open_orders(self) -> list[PaperOrder]:
        return [_to_order(row) for _, row in sorted(self._open_rows().items())]

    def _order_row(self, order_id: str) -> PaperOrderRow | None:
        number = order_id.removeprefix(_ID_PREFIX)
        if not number.isdigit():
            return None
        rows = self._rows_read()
        row = rows.get(int(number)) or db.session.get(PaperOrderRow, int(number))
        if row is None or row.connection_id != self._connection_id:
            return None
        rows[row.id] = row
        return row

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
        self._remember(row)
        return _to_order(row)

    def save_order(self, order: PaperOrder) -> None:
        row = self._order_row(order.order_id)
        if row is None:
            raise LookupError(f"paper order {order.order_id} does not belong to this connection")
        _copy_into(row, order)
        self._remember(row)

    def _remember(self, row: PaperOrderRow) -> None:
        """Keep the transaction's view of the open orders true after a write."""
        self._rows_read()[row.id] = row
        open_rows = self._cache().get("open")
        if open_rows is not None:
            if row.status in OPEN_STATUSES:
                open_rows[row.id] = row
            else:
                open_rows.pop(row.id, None)


def paper_equities(connection_ids: list[int]) -> dict[int, Decimal]:
    """Many paper accounts' equity in three queries, valued as each account's own get_account values it."""
    if not connection_ids:
        return {}
    opening = dict(db.session.execute(
        select(BrokerConnection.id, User.paper_balance).join(User, User.id == BrokerConnection.user_id)
        .where(BrokerConnection.id.in_(connection_ids))
    ).all())
    cash = dict(db.session.execute(
        select(PaperAccount.connection_id, PaperAccount.cash).where(PaperAccount.connection_id.in_(connection_ids))
    ).all())
    holdings: dict[int, list[PaperHolding]] = defaultdict(list)
    for row in db.session.execute(
        select(PaperHoldingRow.connection_id, PaperHoldingRow.symbol, PaperHoldingRow.quantity,
               PaperHoldingRow.avg_price, PaperHoldingRow.asset_class)
        .where(PaperHoldingRow.connection_id.in_(connection_ids))
    ):
        holdings[row.connection_id].append(PaperHolding(row.symbol, row.quantity, row.avg_price, row.asset_class))
    quotes = stored_quotes(sorted({h.symbol for held in holdings.values() for h in held}))
    return {cid: pricing.equity(cash.get(cid, opening[cid]), holdings[cid], quotes) for cid in connection_ids}


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
