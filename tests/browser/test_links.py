"""Every local link of the built site leads somewhere: the file exists, the anchor too.

No browser is needed: the pages are parsed with :mod:`html.parser`. A link to another host
is not followed (the site is offline); every other ``href`` or ``src`` must name a file of
the build, and a fragment (``#id``, ``page.html#id``) must be an ``id`` in the target page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import pytest

from .conftest import page_paths

#: Attributes holding a URL, per tag.
URL_ATTRIBUTES = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src",
                  "iframe": "src"}


@dataclass
class PageLinks:
    """The ids a page defines and the URLs it points to."""

    ids: set[str] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)


class LinkParser(HTMLParser):
    """Collects ``id`` (and ``<a name>``) anchors and linked URLs of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links = PageLinks()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        if "id" in values:
            self.links.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.links.ids.add(values["name"])
        url = values.get(URL_ATTRIBUTES.get(tag, ""))
        if url is not None:
            self.links.urls.append(url)


def parse(path: Path) -> PageLinks:
    """The anchors and links of one HTML file."""
    parser = LinkParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.links


def resolve(site: Path, page: str, url: str) -> tuple[str, str] | None:
    """The target (a path relative to the site) and fragment of a local URL; None if external.

    >>> resolve(Path("site"), "chapters/a.html", "../api.html#x")
    ('api.html', 'x')
    >>> resolve(Path("site"), "index.html", "#top"), resolve(Path("site"), "a.html", "https://x.org")
    (('index.html', 'top'), None)
    """
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:  # another host, mailto:, javascript:, data:
        return None
    if not parts.path:
        return page, unquote(parts.fragment)
    joined = PurePosixPath(page).parent / unquote(parts.path)
    resolved: list[str] = []
    for part in joined.parts:
        if part == "..":
            if not resolved:
                return "../" + joined.as_posix(), ""  # outside the site: reported as broken
            resolved.pop()
        elif part != ".":
            resolved.append(part)
    target = "/".join(resolved)
    if url.split("#")[0].split("?")[0].endswith("/") or (site / target).is_dir():
        target = (target + "/index.html").lstrip("/")
    return target, unquote(parts.fragment)


def broken_links(site: Path) -> tuple[list[str], int]:
    """Every broken local link of the site (page: url -> why), and how many links were seen."""
    pages = {path: parse(site / path) for path in page_paths(site)}
    broken: list[str] = []
    seen = 0
    for page, links in pages.items():
        for url in links.urls:
            target = resolve(site, page, url)
            if target is None:
                continue
            seen += 1
            path, fragment = target
            if not (site / path).is_file():
                broken.append(f"{page}: {url} -> no file {path}")
            elif fragment and path.endswith(".html"):
                ids = pages[path].ids if path in pages else parse(site / path).ids
                if fragment not in ids:
                    broken.append(f"{page}: {url} -> no id {fragment!r} in {path}")
    return broken, seen


def test_every_local_link_and_anchor_exists(site: Path) -> None:
    broken, seen = broken_links(site)
    assert seen > 100, f"only {seen} local links found: is the site built?"
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken)


@pytest.mark.parametrize("bad", ["missing.html", "#no-such-anchor", "api.html#no-such-id"])
def test_the_crawl_sees_a_planted_broken_link(tmp_path: Path, bad: str) -> None:
    (tmp_path / "index.html").write_text('<h1 id="top">x</h1><a href="api.html">api</a>'
                                         f'<a href="{bad}">bad</a>', encoding="utf-8")
    (tmp_path / "api.html").write_text('<p id="ok">api</p><a href="index.html#top">back</a>',
                                       encoding="utf-8")
    broken, seen = broken_links(tmp_path)
    assert seen == 3
    assert len(broken) == 1
    assert broken[0].startswith("index.html: " + bad)
