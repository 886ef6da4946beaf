-- Which quiz a quiz lesson shows (from catalog's lesson content): passing that quiz completes the lesson.
ALTER TABLE learning.lessons ADD COLUMN quiz_id uuid;
CREATE INDEX lessons_quiz ON learning.lessons (quiz_id) WHERE quiz_id IS NOT NULL;
