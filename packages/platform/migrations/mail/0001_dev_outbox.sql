-- The dev outbox: what the embedded default "sends", for the web app and the dev.outbox RPC to show.
CREATE TABLE mail.dev_outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Send order: sent_at can tie within one clock tick, and uuids carry no order.
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  to_address text NOT NULL,
  subject text NOT NULL,
  text text NOT NULL,
  html text,
  sent_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX dev_outbox_to_address ON mail.dev_outbox (to_address, seq DESC);
