/* Mermaid diagrams drawn in the page, offline: the vendored one-file build of Mermaid (a classic
   script, which works from file://) turns each diagram's source into an SVG. Sources come as
   Sphinx writes a fenced ```mermaid block (div.highlight-mermaid) or as nbconvert writes one
   (pre.mermaid, code.language-mermaid). Each result carries data-diagrama="ok" or "error". */
(function () {
  "use strict";
  function sources() {
    var found = [];
    document.querySelectorAll("div.highlight-mermaid").forEach(function (div) {
      var pre = div.querySelector("pre");
      found.push([div, pre ? pre.textContent : ""]);
    });
    document.querySelectorAll("pre > code.language-mermaid").forEach(function (code) {
      found.push([code.parentElement, code.textContent]);
    });
    document.querySelectorAll("pre.mermaid:not([data-diagrama])").forEach(function (pre) {
      found.push([pre, pre.textContent]);
    });
    return found;
  }
  function draw() {
    var blocks = sources();
    if (!blocks.length) return;
    if (typeof window.mermaid === "undefined") {
      blocks.forEach(function (b) { b[0].setAttribute("data-diagrama", "sin-mermaid"); });
      return;
    }
    var targets = blocks.map(function (b) {
      var pre = document.createElement("pre");
      pre.className = "mermaid diagrama";
      pre.textContent = b[1];
      b[0].replaceWith(pre);
      return pre;
    });
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default" });
    window.mermaid.run({ nodes: targets, suppressErrors: true }).then(function () {
      targets.forEach(function (pre) {
        var svg = pre.querySelector("svg");
        var bad = !svg || svg.getAttribute("aria-roledescription") === "error";
        pre.setAttribute("data-diagrama", bad ? "error" : "ok");
      });
      document.documentElement.setAttribute("data-diagramas", "listos");
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
