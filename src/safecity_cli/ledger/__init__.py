"""The records: progress entries, their files, the lock."""
