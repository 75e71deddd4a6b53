"""reindex fingerprints: listings grouped before the bag-of-words signature are grouped again by the next run

Revision ID: 0008_reindex_fingerprints
Revises: 0007_custody_signing_start
Create Date: 2026-12-06 23:11:36
"""
from alembic import op


revision = '0008_reindex_fingerprints'
down_revision = '0007_custody_signing_start'
branch_labels = None
depends_on = None

TEXT_ONLY_BYTES = 48 * 4  # a signature of word pairs alone (store.fingerprints.NUM_PERM uint32 values)


def upgrade() -> None:
    # A changed content hash makes the listing pending: the group step re-indexes it (a reordered repost can then
    # find it) and keeps it in its case unless it is alone there. No schema change.
    op.execute("UPDATE listing_fingerprints SET content_hash = 'reindex' "
               f"WHERE minhash IS NOT NULL AND length(minhash) = {TEXT_ONLY_BYTES}")


def downgrade() -> None:
    pass  # the longer signatures stay readable: similarity() compares the word-pair part only
