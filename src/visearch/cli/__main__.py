"""`python -m visearch.cli`: the same as the `visearch` command."""
from visearch.cli import main

raise SystemExit(main())
