"""``python -m cnnlab.bench``: the ``cnnlab`` command."""

import sys

from cnnlab.bench.cli import main

if __name__ == "__main__":  # importing the module (documentation tools do) runs nothing
    sys.exit(main())
