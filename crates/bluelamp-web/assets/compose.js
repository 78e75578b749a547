// Live governance findings on the compose page. The page works without this
// script (the check runs again on submit); with it, findings appear as the
// officer types, the words at fault are marked, a screen reader hears a summary
// through the polite live region, each chosen network's counter shows the length
// by that network's counting, the button says what will happen, and the text is
// kept in this browser as it is typed, so a lost connection loses nothing.
(function () {
  "use strict";
  // A post page reached by submitting: the server has the text, drop the copy.
  var sent = document.getElementById("draft-sent");
  if (sent) {
    try { window.localStorage.removeItem(sent.getAttribute("data-draft-key")); } catch (e) { /* storage off */ }
  }
  var form = document.getElementById("compose");
  if (!form) return;
  var text = document.getElementById("text");
  var out = document.getElementById("live-findings");
  var preview = document.getElementById("live-preview");
  var csrf = form.getAttribute("data-csrf");
  var accountKind = form.getAttribute("data-account-kind");
  var signature = form.getAttribute("data-signature") || "";
  var timer = null;
  var button = document.getElementById("post");
  var counters = document.getElementById("counters");
  var withoutApproval = form.getAttribute("data-without-approval") === "true";
  var draftKey = "bluelamp-draft:" + form.getAttribute("action");

  function store(value) {
    try {
      if (value.trim()) { window.localStorage.setItem(draftKey, value); } else { window.localStorage.removeItem(draftKey); }
    } catch (e) { /* private browsing: the page still works */ }
  }
  try {
    var kept = window.localStorage.getItem(draftKey);
    if (kept && !text.value) {
      text.value = kept;
      var note = document.createElement("p");
      note.className = "hint";
      note.textContent = "Your unsent text was kept in this browser and is back in the box.";
      text.parentNode.insertBefore(note, text);
    }
  } catch (e) { /* storage off */ }

  function say(report) {
    if (!button) return;
    var problems = report.findings.filter(function (f) { return f.severity === "refuse"; }).length;
    if (report.decision === "refuse") {
      button.textContent = "Cannot publish: " + problems + (problems === 1 ? " problem" : " problems");
    } else if (report.decision === "hold" || !withoutApproval) {
      button.textContent = "Send for approval";
    } else if (value("scheduled_at")) {
      button.textContent = "Schedule";
    } else {
      button.textContent = "Publish";
    }
  }

  function count(lengths) {
    if (!counters) return;
    counters.textContent = (lengths || []).map(function (l) {
      return l.channel + ": " + l.length + " of " + l.limit + (l.length > l.limit ? " (too long)" : "");
    }).join(" · ");
  }

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
      .then(function (report) { if (report) { render(body, report); say(report); count(report.lengths); } })
      .catch(function () { /* the check runs again on submit */ });
  }

  form.addEventListener("input", function () {
    store(text.value);
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
})();
