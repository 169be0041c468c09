// Checkout page: submits the cart to the gateway and reports the outcome.

export interface ChargeResult {
  chargeId: string;
}

export class CheckoutError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const GATEWAY_URL = "/api/v1/charges";

export async function submitCharge(
  sessionId: string,
  amountMinor: number,
  currency: string,
  idempotencyKey: string,
): Promise<ChargeResult> {
  const response = await fetch(GATEWAY_URL, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "Idempotency-Key": idempotencyKey,
    },
    body: JSON.stringify({
      session_id: sessionId,
      amount_minor: amountMinor,
      currency,
    }),
  });
  if (response.status === 504) {
    throw new CheckoutError("The payment provider is slow, try again.", true);
  }
  if (!response.ok) {
    throw new CheckoutError(`Payment failed (${response.status}).`, false);
  }
  const body = (await response.json()) as { charge_id: string };
  return { chargeId: body.charge_id };
}
