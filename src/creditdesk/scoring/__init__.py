"""Real-time and batch credit decisions: policy, applications, decisions, batches."""
