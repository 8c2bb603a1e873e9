"""``python -m lanwise`` runs the command line."""

import sys

from lanwise.cli import main

sys.exit(main())
