"""考核: the 考核细则 applied to the ledger, and the 督办通知单 followed until answered."""
