-- Which object holds each PATCH's bytes. A PATCH streams into an object of its own (`uploads/<id>/<offset>-<uuid>`)
-- and the statement that advances the upload's offset records it here, so when two PATCHes race for one offset (on
-- two replicas) the one that lost never touches the winner's bytes: it only deletes its own object.
CREATE TABLE media.upload_parts (
  upload_id text NOT NULL REFERENCES media.uploads (id) ON DELETE CASCADE,
  "offset" bigint NOT NULL CHECK ("offset" >= 0),
  size bigint NOT NULL CHECK (size > 0),
  key text NOT NULL,
  PRIMARY KEY (upload_id, "offset")
);
