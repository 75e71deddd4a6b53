"""The data store: SQLAlchemy models, migrations and the write paths every stage shares."""
from store.db import Store, StoreError
from store.models import Base

__all__ = ["Base", "Store", "StoreError"]
