"""Route handlers of the review UI, one module per page family."""
