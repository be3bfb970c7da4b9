"""The plan as data: models, file schemas, deadlines, YAML reading, loading, units, layout."""
