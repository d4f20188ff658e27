"""`python -m web.cli`: the same as the `visearch` command."""
from web.cli import main

raise SystemExit(main())
