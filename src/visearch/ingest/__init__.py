"""Files into a library: planning what changed, indexing it, writing in batches, reading text again."""
