"""`python -m demo_marketplace`: serve the demo marketplace until Ctrl-C."""
from demo_marketplace.server import main

raise SystemExit(main())
