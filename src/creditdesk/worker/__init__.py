"""Background jobs (Dramatiq), their table, dead letters and the transactional outbox."""
