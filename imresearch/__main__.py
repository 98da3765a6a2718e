"""``python -m imresearch`` runs the command line."""

import sys

from imresearch.cli import main

sys.exit(main())
