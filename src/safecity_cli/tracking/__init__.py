"""Answers as of a date: each task's state, the questions asked of it, the rules for new records."""
