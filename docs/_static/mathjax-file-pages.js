// MathJax's settings for a page opened from disk (a file:// address) rather than served by
// a web server (`make serve`, or any other). There the browser lets MathJax's speech worker
// read no file, so the spoken and Braille forms of the math are not computed; screen readers
// read the math from a hidden MathML copy instead. conf.py's mathjax4_config sets the rest;
// Sphinx puts this file's text in every page with math, after that configuration.
if (window.location.protocol === "file:" && window.MathJax) {
  const options = (window.MathJax.options = window.MathJax.options || {});
  options.menuOptions = {
    settings: {enrich: false, speech: false, braille: false, assistiveMml: true},
  };
}
