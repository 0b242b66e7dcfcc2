import sys

from cnnlab.bench.cli import main

sys.exit(main())
