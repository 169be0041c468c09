"""HTTP client for the Acme card provider.

Every call is idempotent on the provider's side as long as the same
Idempotency-Key is sent again, which is what makes retrying safe.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import requests

from .retry import retry_call

log = logging.getLogger(__name__)

PROVIDER_URL = os.environ.get(
    "PAYMENTS_PROVIDER_URL", "https://api.acmepay.example"
)
TIMEOUT_SECONDS = 5
MAX_RETRIES = 2


class PaymentError(Exception):
    """The provider refused the charge or could not be reached."""


class ProviderTimeout(PaymentError):
    """The provider did not answer in time; safe to retry with the same key."""


@dataclass(frozen=True)
class Charge:
    id: str
    status: str
    amount_minor: int
    currency: str


class PaymentsClient:
    def __init__(self, api_key: str, session: requests.Session | None = None):
        self._session = session or requests.Session()
        self._session.headers["Authorization"] = f"Bearer {api_key}"

    def charge(self, amount_minor: int, currency: str, key: str) -> Charge:
        body = {"amount": amount_minor, "currency": currency}
        resp = retry_call(
            lambda: self._post("/v1/charges", body, key),
            attempts=MAX_RETRIES,
            retry_on=(ProviderTimeout,),
        )
        return Charge(
            id=resp["id"],
            status=resp["status"],
            amount_minor=resp["amount"],
            currency=resp["currency"],
        )

    def refund(self, charge_id: str, key: str) -> None:
        self._post(f"/v1/charges/{charge_id}/refunds", {}, key)

    def _post(self, path: str, body: dict, key: str) -> dict:
        try:
            resp = self._session.post(
                PROVIDER_URL + path,
                json=body,
                headers={"Idempotency-Key": key},
                timeout=TIMEOUT_SECONDS,
            )
        except requests.Timeout as exc:
            log.warning("provider timed out on %s", path)
            raise ProviderTimeout(path) from exc
        if resp.status_code >= 400:
            raise PaymentError(f"provider answered {resp.status_code}")
        return resp.json()
