"""Tests of the analyst review web UI."""
