"""``python -m sitebuild``: build the site and run its doctests (see :mod:`sitebuild.driver`)."""

import sys

from sitebuild.driver import main

if __name__ == "__main__":
    sys.exit(main())
