"""``Idempotency-Key``: the stored first response to a key, replayed to repeats (see ``service``)."""
