"""Documents from templates: the Jinja engine and each report's data."""
