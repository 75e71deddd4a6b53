"""Evidence: the capture chain run on flagged listings, liveness re-checks, signed case bundles and their verification."""
