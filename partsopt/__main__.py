"""``python -m partsopt`` is the same as the ``partsopt`` command."""
import sys

from partsopt.cli import main

if __name__ == "__main__":
    sys.exit(main())
