"""crawler/parsers."""
