"""review: review queues, opinions, deadlines, decisions."""
