"""`python -m paxel` is the `paxel` command (the service starts itself this way)."""

import sys

from paxel.entry import main

sys.exit(main())
