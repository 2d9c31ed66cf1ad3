"""pytest runs the examples of the site's build machinery with the rest of the doctests;
its modules import each other as the package ``sitebuild``, found here."""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
