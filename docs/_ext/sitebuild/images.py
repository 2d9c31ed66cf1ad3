"""Figures open at full size: each image of a page links to its own file.

On a phone a figure is drawn as wide as the screen, smaller than its natural size; a tap
on it opens the image file alone, which the reader can zoom. Sphinx links an image to its
file only when a page scales it (``:width:``, ``:scale:``); the chapters' figures are not
scaled, so this extension adds the link to every image that the build copies into
``_images`` and that is not a link already. The setting ``sitebuild_link_images`` (on by
default) turns it off; like any HTML setting, changing it rewrites every page.

>>> image_link("chapters/02-attention.html", "flow.svg")
'../_images/flow.svg'
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docutils import nodes  # type: ignore[import-untyped]
    from sphinx.application import Sphinx

#: The folder of the built site that holds the images (Sphinx's ``imagedir``).
IMAGE_FOLDER = "_images"


def image_link(page: str, filename: str) -> str:
    """The URL of an image file of ``_images`` as seen from the page ``page``.

    >>> image_link("index.html", "a.svg"), image_link("_modules/x/y.html", "a.svg")
    ('_images/a.svg', '../../_images/a.svg')
    """
    depth = page.count("/")
    return posixpath.join(*([".."] * depth), IMAGE_FOLDER, filename)


def link_images(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: wrap each copied image that is not a link in a link to its file.

    >>> from types import SimpleNamespace
    >>> link_images(SimpleNamespace(builder=SimpleNamespace(format="text")), None, "x")
    """
    if app.builder.format != "html" or not app.config.sitebuild_link_images:
        return
    from docutils import nodes

    page = app.builder.get_target_uri(docname)
    for image in list(doctree.findall(nodes.image)):
        copied = app.env.images.get(image["uri"])
        if copied is None or isinstance(image.parent, nodes.reference):
            continue
        link = nodes.reference("", "", internal=True, refuri=image_link(page, copied[1]))
        image.replace_self(link)
        link.append(image)
