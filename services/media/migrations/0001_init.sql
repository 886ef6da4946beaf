-- The media schema: resumable uploads (tus), media with their transcode state, and captions.

CREATE TABLE media.uploads (
  id text PRIMARY KEY,
  owner_id uuid NOT NULL,
  -- NULL while the client defers the length (tus creation-defer-length).
  size bigint CHECK (size IS NULL OR size >= 0),
  "offset" bigint NOT NULL DEFAULT 0 CHECK ("offset" >= 0),
  -- Each PATCH stores its bytes as one part object, `uploads/<id>/<offset>`.
  parts integer NOT NULL DEFAULT 0,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  -- Set when a media or a caption took the bytes; a consumed upload cannot be used twice.
  consumed_at timestamptz,
  CHECK (size IS NULL OR "offset" <= size)
);
CREATE INDEX uploads_owner ON media.uploads (owner_id) WHERE consumed_at IS NULL;

CREATE TABLE media.media (
  id uuid PRIMARY KEY,
  owner_id uuid NOT NULL,
  title text NOT NULL,
  course_id uuid,
  status text NOT NULL CHECK (status IN ('probing', 'queued', 'processing', 'ready', 'failed')),
  progress integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  size_bytes bigint NOT NULL,
  source_key text NOT NULL,
  duration_seconds double precision,
  width integer,
  height integer,
  renditions jsonb NOT NULL DEFAULT '[]',
  error text,
  -- Counts commits: each ready transcode lives under `media/<id>/v<generation>/`, so a retry never overwrites
  -- what a player may be reading.
  generation integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX media_owner_created ON media.media (owner_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE media.captions (
  media_id uuid NOT NULL REFERENCES media.media (id) ON DELETE CASCADE,
  language text NOT NULL,
  label text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (media_id, language)
);
