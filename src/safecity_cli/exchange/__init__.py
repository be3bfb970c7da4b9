"""Files that leave safecity and come back: the Excel ledger, fillable sheets, calendars, dumps."""
