-- What the media service last said about each video (from media.ready / media.failed), so a lesson that starts
-- showing a video after its event arrived still learns that it is ready and how long it is.
CREATE TABLE catalog.media_states (
  media_id uuid PRIMARY KEY,
  ready boolean NOT NULL,
  duration_seconds integer,
  updated_at timestamptz NOT NULL DEFAULT now()
);
