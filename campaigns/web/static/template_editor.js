// The template editor: CodeMirror over the plain textarea, live lint, line markers,
// and previews that follow the text. Without this file the page still works: a plain
// textarea, Save, and preview buttons that post the saved text.
(function () {
  "use strict";

  var LINT_DELAY = 400;
  var PREVIEW_DELAY = 1200;

  function start() {
    var form = document.getElementById("editor-form");
    var textarea = document.getElementById("source");
    if (!form || !textarea) {
      return;
    }
    var findings = document.getElementById("findings");
    var summary = document.getElementById("lint-summary");
    var previewForm = document.getElementById("preview-form");
    var previewSource = document.getElementById("preview-source");
    var csrfMeta = document.querySelector('meta[name="csrf-token"]');
    var csrf = csrfMeta ? csrfMeta.content : "";
    var path = form.querySelector('input[name="path"]').value;
    var editor = null;
    var marked = [];
    var lintTimer = null;
    var previewTimer = null;
    var lintRun = 0;

    if (window.CodeMirror && CodeMirror.overlayMode && CodeMirror.multiplexingMode) {
      CodeMirror.defineMode("hookline-template", function (config, options) {
        var body = CodeMirror.getMode(config, options.kind === "text" ? "text/plain" : "htmlmixed");
        var withJinja = CodeMirror.overlayMode(body, CodeMirror.getMode(config, "jinja2"), true);
        // The TOML front matter sits between the +++ lines at the top.
        return CodeMirror.multiplexingMode(withJinja, {
          open: "+++",
          close: "+++",
          mode: CodeMirror.getMode(config, "toml"),
          delimStyle: "meta"
        });
      });
      editor = CodeMirror.fromTextArea(textarea, {
        mode: { name: "hookline-template", kind: textarea.dataset.kind },
        lineNumbers: true,
        lineWrapping: true,
        readOnly: textarea.readOnly,
        gutters: ["lint-gutter", "CodeMirror-linenumbers"],
        // Tab must not trap keyboard users: it moves focus, as everywhere else.
        // Indenting stays on Ctrl-] and Ctrl-[ (CodeMirror's defaults).
        extraKeys: { "Tab": false, "Shift-Tab": false },
        screenReaderLabel: "Template source",
        viewportMargin: 50
      });
      editor.getWrapperElement().classList.add("template-editor");
    }

    function text() {
      return editor ? editor.getValue() : textarea.value;
    }

    function applyFindings() {
      var box = findings.querySelector(".findings");
      if (box && summary.textContent !== box.dataset.summary) {
        summary.textContent = box.dataset.summary;
      }
      if (!editor) {
        return;
      }
      marked.forEach(function (handle) {
        editor.removeLineClass(handle, "background");
      });
      marked = [];
      editor.clearGutter("lint-gutter");
      var byLine = {};
      findings.querySelectorAll(".finding").forEach(function (item) {
        var line = parseInt(item.dataset.line, 10);
        (byLine[line] = byLine[line] || []).push(item.dataset);
      });
      Object.keys(byLine).forEach(function (key) {
        var items = byLine[key];
        var line = parseInt(key, 10) - 1;
        if (line < 0 || line >= editor.lineCount()) {
          return;
        }
        var worst = "info";
        if (items.some(function (d) { return d.severity === "error"; })) {
          worst = "error";
        } else if (items.some(function (d) { return d.severity === "warning"; })) {
          worst = "warning";
        }
        var title = items.map(function (d) {
          return d.code + " (" + d.severity + "): " + d.message;
        }).join("\n");
        var marker = document.createElement("span");
        marker.className = "lint-marker lint-marker-" + worst;
        marker.title = title;
        marker.dataset.codes = items.map(function (d) { return d.code; }).join(" ");
        editor.setGutterMarker(line, "lint-gutter", marker);
        marked.push(editor.addLineClass(line, "background", "lint-line-" + worst));
      });
    }

    function runLint() {
      var run = ++lintRun;
      var body = new URLSearchParams();
      body.set("path", path);
      body.set("source", text());
      fetch(form.dataset.lintUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "HX-Request": "true" },
        body: body
      }).then(function (response) {
        if (response.status === 401) {
          throw new Error("Your session ended: sign in again to keep linting.");
        }
        if (!response.ok) {
          throw new Error("Lint could not run (HTTP " + response.status + ").");
        }
        return response.text();
      }).then(function (html) {
        if (run === lintRun) {
          findings.innerHTML = html;
          applyFindings();
        }
      }).catch(function (error) {
        if (run === lintRun) {
          summary.textContent = error.message || "Lint could not run.";
        }
      });
    }

    // One form can have one submission pending: a second one cancels the first. So
    // each frame is refreshed after the one before it has loaded.
    function refreshPreviews() {
      if (!previewForm || !previewForm.requestSubmit) {
        return;
      }
      var buttons = Array.prototype.slice.call(previewForm.querySelectorAll("button[data-preview]"));
      function next() {
        var button = buttons.shift();
        if (!button) {
          return;
        }
        var frame = document.querySelector('iframe[name="' + button.getAttribute("formtarget") + '"]');
        var done = false;
        function go() {
          if (!done) {
            done = true;
            next();
          }
        }
        if (frame) {
          frame.addEventListener("load", go, { once: true });
        }
        setTimeout(go, 3000);
        previewForm.requestSubmit(button);
      }
      next();
    }

    function changed() {
      if (editor) {
        editor.save();
      }
      if (previewSource) {
        previewSource.value = text();
      }
      clearTimeout(lintTimer);
      lintTimer = setTimeout(runLint, LINT_DELAY);
      clearTimeout(previewTimer);
      previewTimer = setTimeout(refreshPreviews, PREVIEW_DELAY);
    }

    if (editor) {
      editor.on("change", changed);
    } else {
      textarea.addEventListener("input", changed);
    }

    // Before any preview or test send, the form carries the text as it is now.
    if (previewForm) {
      previewForm.addEventListener("submit", function () {
        previewSource.value = text();
      });
    }

    // A finding's position jumps to its line.
    findings.addEventListener("click", function (event) {
      var jump = event.target.closest(".finding-jump");
      if (!jump) {
        return;
      }
      var line = parseInt(jump.dataset.line, 10) - 1;
      var column = Math.max(parseInt(jump.dataset.column, 10) - 1, 0);
      if (editor) {
        editor.focus();
        editor.setCursor({ line: line, ch: column });
        editor.scrollIntoView({ line: line, ch: column }, 120);
      } else {
        var lines = textarea.value.split("\n");
        var offset = 0;
        for (var i = 0; i < line && i < lines.length; i++) {
          offset += lines[i].length + 1;
        }
        textarea.focus();
        textarea.setSelectionRange(offset + column, offset + column);
      }
    });

    applyFindings();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
