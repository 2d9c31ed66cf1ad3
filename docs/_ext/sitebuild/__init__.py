"""The site's build machinery: a local Sphinx extension, and the driver of ``make html``.

It lives beside the pages, outside the package ``ai_workloads``, so installing the package
for its command line brings no Sphinx code. ``conf.py`` names it as the extension
``sitebuild`` (with ``docs/_ext`` on ``sys.path``); ``python -m sitebuild`` is the build
driver that ``make html`` runs. One idea per module:

* :mod:`sitebuild.cache` -- the package fingerprint and the execution cache keyed on it;
* :mod:`sitebuild.kernels` -- chapters' kernels over Unix sockets (IPC), safe in parallel;
* :mod:`sitebuild.progress` -- what the build prints: each chapter executing, its time;
* :mod:`sitebuild.assets` -- MathJax served by the site itself, offline;
* :mod:`sitebuild.runtime` -- Pyodide and the package's wheel, for the calculator page;
* :mod:`sitebuild.wheel` -- the package's pure-Python wheel, built from the checkout;
* :mod:`sitebuild.images` -- each figure links to its image file, to open at full size;
* :mod:`sitebuild.notebooks` -- notebook downloads, accessible folded code cells;
* :mod:`sitebuild.search` -- the search index after an incremental build;
* :mod:`sitebuild.doctests` -- each module's examples in its namespace, skipped when moot;
* :mod:`sitebuild.references` -- short names and type aliases in the API reference;
* :mod:`sitebuild.fresh` -- a build with nothing changed stops before Sphinx starts;
* :mod:`sitebuild.driver` -- the command line: both builders in one process.

Importing this package is cheap (no Sphinx, no Jupyter); :func:`setup` imports the rest.

>>> execution_mode({"CI": "true"}), MATHJAX_TARGET
('force', 'mathjax/tex-svg-full.js')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sitebuild.assets import MATHJAX_FONT_PATH, MATHJAX_TARGET
from sitebuild.cache import execution_mode, source_fingerprint
from sitebuild.doctests import DOCTEST_FLAGS

if TYPE_CHECKING:
    from sphinx.application import Sphinx

__all__ = [
    "DOCTEST_FLAGS",
    "MATHJAX_FONT_PATH",
    "MATHJAX_TARGET",
    "execution_mode",
    "setup",
    "source_fingerprint",
]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the site's build machinery with Sphinx (named in ``conf.py``).

    >>> callable(setup)
    True
    """
    from sitebuild import (
        assets,
        cache,
        doctests,
        images,
        kernels,
        notebooks,
        progress,
        references,
        search,
    )

    app.add_config_value("ai_workloads_fingerprint", "", "env", types=frozenset({str}))
    app.add_config_value("sitebuild_link_images", True, "html", types=frozenset({bool}))
    app.connect("config-inited", cache.configure_cache, priority=400)
    app.connect("config-inited", kernels.warm_matplotlib)
    app.connect("builder-inited", kernels.install)
    app.connect("builder-inited", assets.install_static_files)
    app.connect("env-before-read-docs", progress.before_read)
    app.connect("env-updated", progress.after_read)
    app.connect("doctree-read", doctests.group_docstring_doctests)
    app.connect("doctree-resolved", images.link_images)
    app.connect("env-updated", search.restore_entries)
    app.connect("build-finished", search.save_entries)
    app.connect("missing-reference", references.resolve_short_name)
    references.napoleon_skips_attributes(app)
    notebooks.register(app)
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
