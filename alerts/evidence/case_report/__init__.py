"""The human-readable case report: facts, hash table, draft police appeal and takedown letter, as an offline PDF."""
from alerts.evidence.case_report.pdf import build_report

__all__ = ["build_report"]
