"""Review: the flagged queue, decisions, accounts, appeals, seller dossiers, statistics and the audit log."""
