"""The data store: SQLAlchemy models, migrations and the write paths every stage shares."""
from store.db import Store, StoreError
from store.models import Base
import store.audit_chain  # noqa: E402,F401 - registers the audit log's hash chain on every insert
import store.cases  # noqa: E402,F401 - registers the hook that keeps case summaries true

__all__ = ["Base", "Store", "StoreError"]
