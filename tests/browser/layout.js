// What a reader sees of a page at the window's current width: whether the page scrolls
// sideways, which displayed equations and captions are cut off, and how large each figure's
// labels are drawn. Run by the browser tests (conftest.py) once the page's images are loaded
// and its math typeset; `layout.js` returns plain data, the tests judge it.
//
// "Visible band": the horizontal stretch of the window in which an element's content can be
// seen without scrolling anything: the window's width, narrowed by every ancestor whose
// overflow is not `visible` (a scroll box, a clipped box, an SVG viewport).
// "Cut": some part of the thing (a glyph or rule of an equation, a line of a caption's text)
// lies outside its visible band by more than a pixel, or, for an equation, under its number.
// "Label size": the figures' labels are set in 10-pt type (ai_workloads.present.style); an
// SVG's natural width is its width in CSS pixels (1 pt = 96/72 px), so a label is drawn
// 10 * 96 / 72 * (displayed width / natural width) pixels tall, where the displayed width
// is the image's content box (its padding and border left out).
() => {
  const root = document.documentElement;
  const windowBand = [0, root.clientWidth];
  const bands = new Map();
  const SLACK = 1;  // pixels: rounding of sub-pixel layout
  const LABEL_PT = 10;

  function band(element) {
    if (!element || element === root || element === document.body || element.nodeType !== 1) {
      return windowBand;
    }
    if (bands.has(element)) { return bands.get(element); }
    let [left, right] = band(element.parentElement);
    if (getComputedStyle(element).overflowX !== "visible") {
      const box = element.getBoundingClientRect();
      const start = element instanceof SVGElement ? box.left : box.left + element.clientLeft;
      const end = element instanceof SVGElement ? box.right : start + element.clientWidth;
      left = Math.max(left, start);
      right = Math.min(right, end);
    }
    bands.set(element, [left, right]);
    return [left, right];
  }

  function outside(rect, [left, right]) {
    return rect.width > 0 && (rect.left < left - SLACK || rect.right > right + SLACK);
  }

  function overlaps(a, b) {
    return a.width > 0 && b.width > 0 && a.right > b.left + SLACK && a.left < b.right - SLACK
      && a.bottom > b.top + SLACK && a.top < b.bottom - SLACK;
  }

  function words(element, count) {
    return (element.textContent || "").replace(/\s+/g, " ").trim().slice(0, count);
  }

  const main = document.querySelector("main") || document.body;

  const equations = [];
  const displayed = main.querySelectorAll('mjx-container[display="true"]');
  for (const box of displayed) {
    const marks = Array.from(box.querySelectorAll("svg use, svg path, svg rect, svg text, svg line"));
    const holder = box.closest("div.math");
    const number = holder && holder.querySelector(":scope > .eqno");
    let why = null;
    if (marks.some(mark => outside(mark.getBoundingClientRect(), band(mark.parentElement)))) {
      why = "cut off at the edge of its box";
    } else if (number) {
      const place = number.getBoundingClientRect();
      if (marks.some(mark => overlaps(mark.getBoundingClientRect(), place))) {
        why = "drawn under its number";
      }
    }
    if (why) {
      const mml = box.querySelector("mjx-assistive-mml");
      equations.push({
        id: holder ? holder.id : "",
        why,
        text: box.getAttribute("aria-label") || (mml ? words(mml, 80) : ""),
        width: Math.round(box.scrollWidth),
        room: Math.round(box.clientWidth),
      });
    }
  }

  const captions = [];
  const captionNodes = main.querySelectorAll("caption, figcaption");
  for (const caption of captionNodes) {
    const walker = document.createTreeWalker(caption, NodeFilter.SHOW_TEXT);
    let cut = false;
    for (let text = walker.nextNode(); text && !cut; text = walker.nextNode()) {
      if (!text.data.trim() || text.parentElement.closest(".headerlink")) { continue; }
      const range = document.createRange();
      range.selectNodeContents(text);
      cut = Array.from(range.getClientRects())
        .some(rect => outside(rect, band(text.parentElement)));
    }
    if (cut) { captions.push(words(caption, 80)); }
  }

  const figures = [];
  for (const image of main.querySelectorAll("img")) {
    const source = image.currentSrc || image.src;
    const svg = /\.svg([?#]|$)/.test(source) || source.startsWith("data:image/svg+xml");
    if (!svg || !image.naturalWidth) { continue; }
    const style = getComputedStyle(image);
    const content = image.getBoundingClientRect().width
      - ["paddingLeft", "paddingRight", "borderLeftWidth", "borderRightWidth"]
        .reduce((sum, side) => sum + parseFloat(style[side] || "0"), 0);
    const figure = image.closest("figure");
    figures.push({
      figure: figure && figure.id ? figure.id : source.split("/").pop(),
      natural: image.naturalWidth,
      shown: Math.round(content * 10) / 10,
      label: Math.round(LABEL_PT * 96 / 72 * content / image.naturalWidth * 100) / 100,
    });
  }

  return {
    width: root.clientWidth,
    scrollWidth: root.scrollWidth,
    equationsChecked: displayed.length,
    captionsChecked: captionNodes.length,
    equations,
    captions,
    figures,
  };
}
