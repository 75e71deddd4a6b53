"""Who captured or exported evidence, by full name: one rule for screenshot banners, reports and custody details."""
from __future__ import annotations


def operator_name(settings, login: str) -> str:
    """The full name configured for a login (evidence.operator_names), else the login itself."""
    return (settings.evidence.operator_names or {}).get(login, login)
