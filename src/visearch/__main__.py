"""`python -m visearch`: the command line."""
import sys

from visearch.cli import main

sys.exit(main())
