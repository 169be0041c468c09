import pytest
import requests

from services.payments.client import PaymentError, PaymentsClient


class FakeResponse:
    def __init__(self, status_code: int, body: dict):
        self.status_code = status_code
        self._body = body

    def json(self) -> dict:
        return self._body


class FakeSession:
    def __init__(self, *outcomes):
        self.headers = {}
        self.calls = []
        self._outcomes = list(outcomes)

    def post(self, url, **kwargs):
        self.calls.append((url, kwargs))
        outcome = self._outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


OK = FakeResponse(
    200, {"id": "ch_1", "status": "succeeded", "amount": 1250, "currency": "EUR"}
)


def test_charge_sends_idempotency_key():
    session = FakeSession(OK)
    client = PaymentsClient("sk_test", session=session)
    charge = client.charge(1250, "EUR", key="order-42")
    assert charge.id == "ch_1"
    _, kwargs = session.calls[0]
    assert kwargs["headers"]["Idempotency-Key"] == "order-42"
    # Card data must never go to the provider without certificate checks.
    assert kwargs.get("verify", True) is True


def test_charge_retries_timeouts_with_the_same_key():
    session = FakeSession(requests.Timeout(), OK)
    client = PaymentsClient("sk_test", session=session)
    client.charge(1250, "EUR", key="order-42")
    keys = [kw["headers"]["Idempotency-Key"] for _, kw in session.calls]
    assert keys == ["order-42", "order-42"]


def test_charge_gives_up_after_max_retries():
    session = FakeSession(*[requests.Timeout()] * 3)
    client = PaymentsClient("sk_test", session=session)
    with pytest.raises(PaymentError):
        client.charge(1250, "EUR", key="order-42")
    assert len(session.calls) == 3


def test_declined_card_is_not_retried():
    session = FakeSession(FakeResponse(402, {"error": "card_declined"}))
    client = PaymentsClient("sk_test", session=session)
    with pytest.raises(PaymentError):
        client.charge(1250, "EUR", key="order-42")
    assert len(session.calls) == 1
