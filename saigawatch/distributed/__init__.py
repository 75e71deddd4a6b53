"""Distributed mode: crawl, classify and capture workers on several machines over Redis (RQ) and PostgreSQL."""
