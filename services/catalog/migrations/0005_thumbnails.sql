-- A course's thumbnail: an image of media's (its id, checked when set) and the URLs of its renders as media gave
-- them, so cards are built without asking media. media's image.deleted clears them.
ALTER TABLE catalog.courses
  ADD COLUMN thumbnail_image_id uuid,
  ADD COLUMN thumbnail_small_url text,
  ADD COLUMN thumbnail_large_url text,
  ADD CONSTRAINT courses_thumbnail_whole CHECK (
    (thumbnail_image_id IS NULL AND thumbnail_small_url IS NULL AND thumbnail_large_url IS NULL)
    OR (thumbnail_image_id IS NOT NULL AND thumbnail_small_url IS NOT NULL AND thumbnail_large_url IS NOT NULL)
  );
CREATE INDEX courses_thumbnail_image ON catalog.courses (thumbnail_image_id) WHERE thumbnail_image_id IS NOT NULL;
