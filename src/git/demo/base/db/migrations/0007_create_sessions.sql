-- Checkout sessions: one row per checkout in progress in a browser.
CREATE TABLE sessions (
    id          UUID           PRIMARY KEY,
    customer_id BIGINT         NOT NULL REFERENCES customers (id),
    cart_total  NUMERIC(12, 2) NOT NULL,
    status      TEXT           NOT NULL DEFAULT 'open',
    created_at  TIMESTAMPTZ    NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ    NOT NULL
);

CREATE INDEX sessions_customer_idx ON sessions (customer_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
