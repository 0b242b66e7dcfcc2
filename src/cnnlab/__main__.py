"""``python -m cnnlab``: the ``cnnlab`` command."""

import sys

from cnnlab.bench.cli import main

sys.exit(main())
