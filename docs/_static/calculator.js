// The calculator page's script: it reads the form, hands it to the Python package running
// in this page (Pyodide), and writes back what the package answers. It computes nothing
// itself: every number, message and the roofline drawing come from
// ai_workloads.calculator.answer_json. Only the calculator page loads this file. It is a
// classic script (a module script does not run in a page opened from a file, and this one
// must say why the calculator cannot start there); Pyodide's module is imported when needed.
//
// The state lives in the URL query (the form's field names): opening a link computes that
// view, the back and forward buttons return to earlier views. While Python loads, the form
// is usable and the page says how far loading has got.

(() => {
  "use strict";

  const root = document.getElementById("calc-app");
  const form = document.getElementById("calc-form");
  const progress = document.getElementById("calc-progress");
  const statusText = document.getElementById("calc-status-text");
  const errorLine = document.getElementById("calc-error");
  const notes = document.getElementById("calc-notes");
  const chart = document.getElementById("calc-chart");
  const permalink = document.getElementById("calc-permalink");
  const chipFields = document.getElementById("calc-chip");

  let calculate = null; // Python's answer_json, once loaded
  let waiting = null; // the latest question asked before Python was ready

  function stage(step, text) {
    progress.value = step;
    statusText.textContent = text;
  }

  function fieldsOfForm() {
    const fields = {};
    for (const element of form.elements) {
      if (element.name) { fields[element.name] = element.value; }
    }
    return fields;
  }

  function fieldsOfUrl() {
    return Object.fromEntries(new URLSearchParams(window.location.search));
  }

  function showChipFields() {
    chipFields.hidden = form.elements.hardware.value !== "custom";
  }

  function fill(fields) {
    for (const [name, value] of Object.entries(fields)) {
      const element = form.elements.namedItem(name);
      if (element && element.type !== "file" && "value" in element) { element.value = value; }
    }
    showChipFields();
  }

  function clearResults() {
    for (const element of root.querySelectorAll("[data-quantity]")) {
      element.textContent = "–";
      delete element.dataset.value;
    }
    notes.replaceChildren();
    chart.replaceChildren();
  }

  function show(result) {
    clearResults();
    if (result.error) {
      errorLine.textContent = result.error;
      errorLine.hidden = false;
      return;
    }
    errorLine.hidden = true;
    errorLine.textContent = "";
    for (const element of root.querySelectorAll("[data-quantity]")) {
      const quantity = result.quantities[element.dataset.quantity];
      element.textContent = quantity.text;
      element.dataset.value = quantity.value;
    }
    for (const note of result.notes) {
      const item = document.createElement("li");
      item.textContent = note;
      notes.append(item);
    }
    chart.innerHTML = result.chart; // an SVG the package wrote, its text escaped there
  }

  // history: "push" (a new view), "replace" (this view, made canonical) or "keep".
  function ask(fields, history) {
    if (!calculate) {
      waiting = [fields, history];
      return;
    }
    const result = JSON.parse(calculate(JSON.stringify(fields)));
    if (!result.error) {
      fill(result.fields);
      const url = "?" + new URLSearchParams(result.query).toString();
      if (history === "push" && url !== window.location.search) {
        window.history.pushState(null, "", url);
      } else if (history !== "keep") {
        window.history.replaceState(null, "", url);
      }
      permalink.href = url;
    }
    show(result);
    root.dataset.state = result.error ? "error" : "done";
    root.dataset.answers = String(Number(root.dataset.answers || 0) + 1);
  }

  async function start() {
    if (window.location.protocol === "file:") {
      stage(0, "The calculator needs this site served over HTTP: browsers do not let a page "
        + "opened from a file start Python. Serve the site's folder (for example with "
        + "python -m http.server) and open the page from there.");
      root.dataset.state = "unavailable";
      return;
    }
    const runtime = new URL(root.dataset.runtime, window.location.href).href;
    try {
      stage(1, "Loading Python (once; later visits use the browser's cache) …");
      const { loadPyodide } = await import(runtime + "pyodide.mjs");
      const pyodide = await loadPyodide({ indexURL: runtime });
      stage(2, "Installing the ai_workloads package …");
      const wheel = await fetch(new URL(root.dataset.wheel, window.location.href));
      if (!wheel.ok) { throw new Error(`the package's wheel: HTTP ${wheel.status}`); }
      pyodide.unpackArchive(await wheel.arrayBuffer(), "wheel");
      stage(3, "Importing it …");
      calculate = pyodide.pyimport("ai_workloads.calculator").answer_json;
      stage(4, "Ready: change any field, or press Compute.");
    } catch (failure) {
      stage(0, `Python could not start in this page: ${failure.message}`);
      root.dataset.state = "unavailable";
      return;
    }
    const [fields, history] = waiting || [fieldsOfUrl(), "replace"];
    waiting = null;
    ask(fields, history);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(fieldsOfForm(), "push");
  });
  form.addEventListener("change", (event) => {
    const target = event.target;
    if (target.id === "calc-config-file") { return; } // read below, then asked
    if (target.name === "model" && target.value) { form.elements.config.value = ""; }
    if (target.name === "hardware") { showChipFields(); }
    ask(fieldsOfForm(), "push");
  });
  form.addEventListener("input", (event) => {
    const target = event.target;
    if (target.name === "config" && target.value) { form.elements.model.value = ""; }
    if (target.name.startsWith("chip_")) { form.elements.chip.value = ""; } // a link's chip no longer applies
  });

  function readConfigFile(file) {
    file.text().then((text) => {
      form.elements.config.value = text;
      form.elements.model.value = "";
      ask(fieldsOfForm(), "push");
    });
  }
  document.getElementById("calc-config-file").addEventListener("change", (event) => {
    if (event.target.files.length) { readConfigFile(event.target.files[0]); }
  });
  form.elements.config.addEventListener("dragover", (event) => event.preventDefault());
  form.elements.config.addEventListener("drop", (event) => {
    if (event.dataTransfer && event.dataTransfer.files.length) {
      event.preventDefault();
      readConfigFile(event.dataTransfer.files[0]);
    }
  });
  window.addEventListener("popstate", () => ask(fieldsOfUrl(), "keep"));

  // A link's choices show at once; Python starts after the page has painted.
  const opened = fieldsOfUrl();
  if (opened.config && !opened.model) { opened.model = ""; }
  if (opened.chip && !opened.hardware) { opened.hardware = "custom"; }
  fill(opened);
  if (document.readyState === "complete") {
    window.setTimeout(start, 0);
  } else {
    window.addEventListener("load", () => window.setTimeout(start, 0), { once: true });
  }
})();
