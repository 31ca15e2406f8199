"""Entry point of the frozen executable: the same ``desktop.main`` as ``python -m desktop``."""

import multiprocessing
import sys

from desktop.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # desktop.instance uses multiprocessing.connection
    sys.exit(main())
