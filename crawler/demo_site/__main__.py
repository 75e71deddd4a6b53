"""`python -m crawler.demo_site`: serve the demo marketplace until Ctrl-C."""
from crawler.demo_site.server import main

raise SystemExit(main())
