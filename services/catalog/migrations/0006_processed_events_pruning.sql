-- The relay deletes processed_events rows past PROCESSED_EVENTS_RETENTION (layerRelay's processedEventsRetention);
-- this index keeps finding them cheap.
CREATE INDEX processed_events_processed_at ON catalog.processed_events (processed_at);
