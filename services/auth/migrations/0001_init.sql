-- The auth schema: users, one-time email codes, refresh-token families, login attempts, creator applications.
CREATE TABLE auth.users (
  id uuid PRIMARY KEY,
  email text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  name text NOT NULL,
  bio text,
  avatar_url text,
  country text,
  website text,
  role text NOT NULL DEFAULT 'learner' CHECK (role IN ('learner', 'creator', 'admin')),
  email_verified_at timestamptz,
  banned_at timestamptz,
  banned_reason text,
  deactivated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_created_at ON auth.users (created_at DESC, id DESC);

CREATE TABLE auth.email_codes (
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
  code_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, purpose)
);

CREATE TABLE auth.refresh_tokens (
  token_hash text PRIMARY KEY,
  family_id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  family_expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON auth.refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON auth.refresh_tokens (user_id) WHERE revoked_at IS NULL;

CREATE TABLE auth.login_attempts (
  id bigserial PRIMARY KEY,
  user_id uuid REFERENCES auth.users (id) ON DELETE CASCADE,
  email text NOT NULL,
  ip text,
  success boolean NOT NULL,
  attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_user_time ON auth.login_attempts (user_id, attempted_at DESC);

CREATE TABLE auth.creator_applications (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  bio text NOT NULL,
  portfolio_url text,
  experience_years integer NOT NULL,
  topics text[] NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  reviewer_id uuid REFERENCES auth.users (id),
  reviewer_notes text,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz
);
CREATE UNIQUE INDEX creator_applications_one_pending ON auth.creator_applications (user_id) WHERE status = 'pending';
CREATE INDEX creator_applications_status_time ON auth.creator_applications (status, created_at DESC, id DESC);
