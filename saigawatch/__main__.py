"""`python -m saigawatch` runs the CLI."""
import sys

from saigawatch.cli import main

sys.exit(main())
