"""crawler/demo_site."""
