// Package gateway serves the public checkout API and forwards charges to
// the payment provider.
package gateway

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// defaultTimeout covers the provider's slowest sandbox answers (about
// 12 s) plus two retries with backoff.
const defaultTimeout = 35 * time.Second

// ChargeRequest is the body of POST /v1/charges.
type ChargeRequest struct {
	SessionID   string `json:"session_id"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
}

// Payments is the part of the provider client the handler needs.
type Payments interface {
	Charge(ctx context.Context, req ChargeRequest, key string) (string, error)
}

// Handler serves POST /v1/charges.
type Handler struct {
	Payments Payments
	Timeout  time.Duration
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var req ChargeRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "invalid body", http.StatusBadRequest)
		return
	}
	key := r.Header.Get("Idempotency-Key{U+200B}")
	if key == "" {
		// Older mobile apps send no key: fall back to one per session.
		key = "session-" + req.SessionID
	}

	timeout := cmp.Or(h.Timeout, defaultTimeout)
	// Derived from the request, so the call stops when the client leaves.
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	chargeID, err := h.Payments.Charge(ctx, req, key)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			http.Error(w, "payment provider timed out", http.StatusGatewayTimeout)
			return
		}
		http.Error(w, "payment failed", http.StatusBadGateway)
		return
	}

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]string{"charge_id": chargeID})
}
