-- The catalog schema: categories, courses with their review history, sections and lessons, and full-text search.

-- array_to_string is only STABLE; tags are plain text, so joining them is immutable and may feed a generated column.
CREATE FUNCTION catalog.tags_text(tags text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT coalesce(array_to_string(tags, ' '), '') $$;

CREATE TABLE catalog.categories (
  id uuid PRIMARY KEY,
  parent_id uuid REFERENCES catalog.categories (id) ON DELETE RESTRICT,
  name text NOT NULL,
  slug text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX categories_parent ON catalog.categories (parent_id);

CREATE TABLE catalog.courses (
  id uuid PRIMARY KEY,
  -- Made from the first title and never changed, so links keep working; kept by deleted courses too.
  slug text NOT NULL UNIQUE,
  -- An auth user, by id only: a service never reads another's schema.
  owner_id uuid NOT NULL,
  title text NOT NULL,
  subtitle text,
  description text NOT NULL,
  -- Null only for deleted courses whose category was removed after them.
  category_id uuid REFERENCES catalog.categories (id) ON DELETE SET NULL,
  level text NOT NULL CHECK (level IN ('beginner', 'intermediate', 'advanced', 'all_levels')),
  language text NOT NULL,
  price_amount integer NOT NULL CHECK (price_amount >= 0),
  price_currency text NOT NULL CHECK (price_currency ~ '^[A-Z]{3}$'),
  discount_kind text CHECK (discount_kind IN ('percent', 'amount')),
  discount_value integer,
  discount_ends_at timestamptz,
  tags text[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'pending_review', 'published', 'rejected')),
  review_feedback text,
  -- Counters kept from other services' events (deduplicated in processed_events).
  rating_sum bigint NOT NULL DEFAULT 0 CHECK (rating_sum >= 0),
  rating_count integer NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
  rating_average numeric(3, 2) NOT NULL
    GENERATED ALWAYS AS (CASE WHEN rating_count > 0 THEN round(rating_sum::numeric / rating_count, 2) ELSE 0 END) STORED,
  enrollment_count integer NOT NULL DEFAULT 0 CHECK (enrollment_count >= 0),
  -- Kept by every curriculum change in the same transaction, so cards need no join.
  lesson_count integer NOT NULL DEFAULT 0,
  duration_seconds integer NOT NULL DEFAULT 0,
  -- Millisecond precision, so a cursor carrying it as a JavaScript Date compares exactly.
  published_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  -- Stemmed (english) for recall and unstemmed (simple) for exact words and type-ahead prefixes of the raw word.
  -- Weights: title A, subtitle and tags B, description C; ts_rank ranks a title hit above a description hit.
  search_vector tsvector NOT NULL GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('simple', title), 'A') ||
    setweight(to_tsvector('english', coalesce(subtitle, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(subtitle, '')), 'B') ||
    setweight(to_tsvector('english', catalog.tags_text(tags)), 'B') ||
    setweight(to_tsvector('simple', catalog.tags_text(tags)), 'B') ||
    setweight(to_tsvector('english', description), 'C') || setweight(to_tsvector('simple', description), 'C')
  ) STORED,
  CHECK ((discount_kind IS NULL) = (discount_value IS NULL) AND (discount_kind IS NULL) = (discount_ends_at IS NULL)),
  CHECK (discount_kind <> 'percent' OR discount_value BETWEEN 1 AND 100),
  CHECK (discount_kind <> 'amount' OR discount_value BETWEEN 1 AND price_amount),
  CHECK (deleted_at IS NOT NULL OR category_id IS NOT NULL),
  CHECK ((status = 'published') = (published_at IS NOT NULL))
);
CREATE INDEX courses_search ON catalog.courses USING gin (search_vector);
CREATE INDEX courses_tags ON catalog.courses USING gin (tags);
CREATE INDEX courses_owner ON catalog.courses (owner_id, updated_at DESC);
CREATE INDEX courses_category ON catalog.courses (category_id);
-- Keyset pagination of the published catalog, one index per sort.
CREATE INDEX courses_newest ON catalog.courses (published_at DESC, id DESC)
  WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX courses_rating ON catalog.courses (rating_average DESC, id DESC)
  WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX courses_popular ON catalog.courses (enrollment_count DESC, id DESC)
  WHERE status = 'published' AND deleted_at IS NULL;

CREATE TABLE catalog.course_transitions (
  id bigserial PRIMARY KEY,
  course_id uuid NOT NULL REFERENCES catalog.courses (id),
  actor_id uuid NOT NULL,
  from_status text,
  to_status text NOT NULL,
  note text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX course_transitions_course ON catalog.course_transitions (course_id, id);

-- Positions are unique per parent, checked at commit so a reorder may shuffle them freely within its transaction.
CREATE TABLE catalog.sections (
  id uuid PRIMARY KEY,
  course_id uuid NOT NULL REFERENCES catalog.courses (id) ON DELETE CASCADE,
  title text NOT NULL,
  position integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, course_id),
  UNIQUE (course_id, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE catalog.lessons (
  id uuid PRIMARY KEY,
  course_id uuid NOT NULL,
  section_id uuid NOT NULL,
  title text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('video', 'embed', 'article', 'quiz')),
  position integer NOT NULL,
  is_preview boolean NOT NULL DEFAULT false,
  duration_seconds integer NOT NULL DEFAULT 0 CHECK (duration_seconds >= 0),
  media_id uuid,
  -- Set by the media service's "ready" event; a course goes to review only when every video is ready.
  media_ready boolean NOT NULL DEFAULT false,
  embed_provider text CHECK (embed_provider IN ('youtube', 'dailymotion', 'vimeo')),
  embed_video_id text,
  markdown text,
  quiz_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- A lesson and its section always belong to the same course.
  FOREIGN KEY (section_id, course_id) REFERENCES catalog.sections (id, course_id) ON DELETE CASCADE,
  UNIQUE (section_id, position) DEFERRABLE INITIALLY DEFERRED,
  CHECK (
    CASE kind
      WHEN 'video' THEN media_id IS NOT NULL
      WHEN 'embed' THEN embed_provider IS NOT NULL AND embed_video_id IS NOT NULL
      WHEN 'article' THEN markdown IS NOT NULL
      WHEN 'quiz' THEN quiz_id IS NOT NULL
    END
  )
);
CREATE INDEX lessons_course ON catalog.lessons (course_id);
CREATE INDEX lessons_media ON catalog.lessons (media_id) WHERE media_id IS NOT NULL;
