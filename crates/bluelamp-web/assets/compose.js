// Live governance findings on the compose page. The page works without this
// script (the check runs again on submit); with it, findings appear as the
// officer types, the words at fault are marked, and a screen reader hears a
// summary through the polite live region.
(function () {
  "use strict";
  var form = document.getElementById("compose");
  if (!form) return;
  var text = document.getElementById("text");
  var out = document.getElementById("live-findings");
  var preview = document.getElementById("live-preview");
  var csrf = form.getAttribute("data-csrf");
  var accountKind = form.getAttribute("data-account-kind");
  var signature = form.getAttribute("data-signature") || "";
  var timer = null;

  function value(name) {
    var field = form.querySelector("[name='" + name + "']");
    return field ? field.value : "";
  }

  function channels() {
    var picked = [];
    form.querySelectorAll("input[name='channels']:checked").forEach(function (box) { picked.push(box.value); });
    return picked;
  }

  function render(body, report) {
    out.textContent = "";
    preview.textContent = "";
    var chars = Array.from(body);
    var marks = report.findings.slice().sort(function (a, b) { return a.char_start - b.char_start; });
    var at = 0;
    marks.forEach(function (f) {
      if (f.char_end <= f.char_start || f.char_start < at) return;
      preview.appendChild(document.createTextNode(chars.slice(at, f.char_start).join("")));
      var mark = document.createElement("mark");
      mark.textContent = chars.slice(f.char_start, f.char_end).join("");
      mark.title = f.message;
      preview.appendChild(mark);
      at = f.char_end;
    });
    preview.appendChild(document.createTextNode(chars.slice(at).join("")));
    var summary = document.createElement("p");
    summary.textContent = report.findings.length === 0
      ? "No findings: this would publish."
      : "Decision: " + report.decision + ". " + report.findings.length + " finding(s).";
    out.appendChild(summary);
    var list = document.createElement("ul");
    report.findings.forEach(function (f) {
      var item = document.createElement("li");
      var words = chars.slice(f.char_start, f.char_end).join("");
      item.textContent = "[" + f.severity + "] " + f.category + (words ? " — \u201c" + words + "\u201d" : "") + ": " + f.message + (f.suggestion ? " Suggestion: " + f.suggestion : "");
      list.appendChild(item);
    });
    out.appendChild(list);
  }

  function check() {
    var body = (signature ? signature + ": " : "") + text.value;
    if (!text.value.trim()) { out.textContent = ""; preview.textContent = ""; return; }
    var context = { account_kind: accountKind };
    if (value("kind")) context.kind = value("kind");
    if (value("case_status")) context.case_status = value("case_status");
    fetch("/api/v1/check", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ text: body, context: context, channels: channels() })
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (report) { if (report) render(body, report); })
      .catch(function () { /* the check runs again on submit */ });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
})();
