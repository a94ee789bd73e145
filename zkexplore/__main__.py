"""``python -m zkexplore`` is the ``zkexplore`` command."""

import sys

from .cli import main

sys.exit(main())
