"""Entry point of the frozen executable: the same ``desktop.main`` as ``python -m desktop``."""

import sys

from desktop.main import main

if __name__ == "__main__":
    sys.exit(main())
