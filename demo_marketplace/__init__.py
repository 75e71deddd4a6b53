"""demo_marketplace."""
