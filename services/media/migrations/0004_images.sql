-- Pictures (course thumbnails): each upload probed and rendered as cover-cropped JPEGs under `images/<id>/`.
CREATE TABLE media.images (
  id uuid PRIMARY KEY,
  owner_id uuid NOT NULL,
  -- The uploaded picture's size and format, as ffprobe read them.
  width integer NOT NULL CHECK (width BETWEEN 1 AND 65535),
  height integer NOT NULL CHECK (height BETWEEN 1 AND 65535),
  format text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX images_owner_created ON media.images (owner_id, created_at DESC) WHERE deleted_at IS NULL;
