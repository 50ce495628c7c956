"""Domain events: their types, the envelope, ``emit`` (into the outbox), and the consumers' publisher."""
