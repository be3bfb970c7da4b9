"""Text for people and programs: one format enum, listings, the task detail, shared wording."""
