"""Sphinx configuration of the lecture site "AI Workloads & Dataflow".

Equivalent to ``sphinx-build -c . docs _build/html``; ``make html`` builds it with
``python -m sitebuild`` (``docs/_ext`` on the path), which also runs every doctest. The
build machinery (source fingerprint, execution cache, kernels, offline MathJax, notebook
downloads) lives in the local Sphinx extension ``docs/_ext/sitebuild/``; this file only
states settings.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "docs" / "_ext"))

import sitebuild

from ai_workloads import __version__

# -- Project -------------------------------------------------------------------------------

project = "AI Workloads & Dataflow"
author = "The ai-workloads authors"
copyright = "the ai-workloads authors"  # no year: pages carry no build date
release = __version__
version = __version__
language = "en"

# -- Sources -------------------------------------------------------------------------------

extensions = [
    "myst_nb",  # MyST Markdown notebooks, executed at build time (brings myst_parser)
    "sphinx_book_theme",
    "sphinx_copybutton",
    "sphinx_design",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "sitebuild",  # fingerprint, cache, IPC kernels, progress, offline MathJax, downloads
]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
# Source pages for the package's own modules only: following a documented alias to where
# its value was made (``typing`` for a ``Literal``) added a page that depends on read order.
viewcode_follow_imported_members = False
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "**/README.md"]
suppress_warnings: list[str] = []

# Figures, tables and code listings are numbered; chapters are numbered by the toctree.
numfig = True
numfig_secnum_depth = 1
numfig_format = {
    "figure": "Figure %s",
    "table": "Table %s",
    "code-block": "Listing %s",
    "section": "Section %s",
}

# Strict cross-references (-n): names outside the package are not documented here.
nitpick_ignore_regex = [
    (r"py:.*", r"(argparse|builtins|pathlib|collections|collections\.abc|typing"
               r"|typing_extensions|os|io|enum|dataclasses|numpy|numpy\.typing|matplotlib|sphinx|docutils)(\..*)?"),
    (r"py:.*", r"(Path|Mapping|Sequence|Iterable|Iterator|Callable|Any|Literal|Self|NDArray"
               r"|Figure|Axes|Generator|ContextManager|TextIO|Enum|np\..*|npt\..*|mpl\..*)"),
]

# -- MyST and notebooks --------------------------------------------------------------------

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "substitution"]
myst_heading_anchors = 3
myst_dmath_double_inline = True
myst_substitutions = {"site": project}

nb_execution_mode = sitebuild.execution_mode(os.environ)  # "force" when CI is set
nb_execution_timeout = 120  # seconds per cell
nb_execution_raise_on_error = True  # a failing cell fails the build ...
nb_execution_show_tb = True  # ... and its traceback is printed
nb_execution_allow_errors = False
nb_merge_streams = True
nb_output_stderr = "warn"  # stray stderr in a cell is a warning, so -W fails the build
nb_ipywidgets_js: dict[str, dict[str, str]] = {}  # no CDN scripts
nb_render_markdown_format = "myst"
# A change to any file of the package re-executes every chapter (see sitebuild).
ai_workloads_fingerprint = sitebuild.source_fingerprint()

# -- Doctests (``{doctest}`` blocks in chapters and ``>>>`` blocks in the API reference) ---

doctest_global_setup = ""
doctest_test_doctest_blocks = "default"
doctest_default_flags = sitebuild.DOCTEST_FLAGS

# -- API reference -------------------------------------------------------------------------

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
python_use_unqualified_type_names = True
napoleon_google_docstring = True
napoleon_numpy_docstring = True

# -- HTML ----------------------------------------------------------------------------------

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["docs/_static"]
templates_path = ["docs/_templates"]  # theme components with accessible names
html_css_files = ["site.css"]
html_context = {"default_mode": "auto"}  # follow the system; unset, a first visit logs an error
html_last_updated_fmt: str | None = None  # no build dates: two builds are identical
html_copy_source = True  # the .md behind the download button
html_show_sourcelink = True
html_show_sphinx = False
html_permalinks_icon = "#"
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": True,
    "use_repository_button": False,
    "use_source_button": False,
    "use_edit_page_button": False,
    "use_issues_button": False,
    "navigation_with_keys": False,
    "icon_links": [],
    # Code colours with WCAG AA contrast in both modes (accessible-pygments).
    "pygments_light_style": "a11y-high-contrast-light",
    "pygments_dark_style": "a11y-high-contrast-dark",
}

# MathJax 4 is served by the site itself (installed by npm and copied by the sitebuild
# extension, fonts included): no request leaves the site. A displayed equation wider than
# its column is broken into lines at the column's width, on a phone as on a desktop.
mathjax_path = sitebuild.MATHJAX_TARGET
mathjax4_config = {
    "loader": {"paths": {"fonts": sitebuild.MATHJAX_FONT_PATH}},
    "output": {"displayOverflow": "linebreak", "linebreaks": {"inline": True, "width": "100%"}},
    "svg": {"fontCache": "global"},
}
# A page opened from disk computes no speech (its worker may read no file there).
mathjax_config_path = "docs/_static/mathjax-file-pages.js"

# copybutton: copy the code of ``>>>`` examples without prompts or output.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_exclude = ".linenos, .gp, .go"
