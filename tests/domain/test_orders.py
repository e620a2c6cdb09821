"""The order state-transition table."""
import pytest

from app.domain.enums import OrderStatus
from app.domain.orders import FINAL_STATUSES, TRANSITIONS, IllegalTransition, can_transition, check_transition

S = OrderStatus


def test_every_status_has_a_row():
    assert set(TRANSITIONS) == set(OrderStatus)


@pytest.mark.parametrize(
    ("current", "new"),
    [(S.PENDING_SUBMIT, S.SUBMITTED), (S.PENDING_SUBMIT, S.UNKNOWN), (S.UNKNOWN, S.FILLED),
     (S.SUBMITTED, S.PARTIALLY_FILLED), (S.PARTIALLY_FILLED, S.FILLED), (S.PENDING_CANCEL, S.FILLED),
     (S.SUBMITTED, S.SUBMITTED)],
)
def test_forward_moves_are_allowed(current, new):
    check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [(S.FILLED, S.SUBMITTED), (S.PARTIALLY_FILLED, S.SUBMITTED), (S.CANCELLED, S.FILLED), (S.DENIED, S.SUBMITTED),
     (S.REJECTED, S.FILLED), (S.PARTIALLY_FILLED, S.REJECTED), (S.SUBMITTED, S.PENDING_SUBMIT)],
)
def test_late_events_never_move_an_order_backwards(current, new):
    assert not can_transition(current, new)
    with pytest.raises(IllegalTransition):
        check_transition(current, new)


def test_final_statuses_go_nowhere():
    assert all(TRANSITIONS[status] == frozenset() for status in FINAL_STATUSES)
