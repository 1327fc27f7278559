"""`python -m paxel` is the `paxel` command (the service starts itself this way)."""

import sys

from paxel.cli import main

sys.exit(main())
