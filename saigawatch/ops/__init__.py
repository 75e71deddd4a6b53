"""Operations beside the CLI: backups, data retention and the maintenance lock."""
