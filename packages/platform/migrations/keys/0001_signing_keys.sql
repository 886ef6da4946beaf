-- Ed25519 signing keys for access tokens; the newest unretired key signs, every published key verifies.
CREATE TABLE keys.signing_keys (
  kid text PRIMARY KEY,
  private_jwk jsonb NOT NULL,
  public_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
