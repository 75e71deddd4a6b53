"""Item pipelines, one job each: field checks (100), store (200), photos (300)."""
