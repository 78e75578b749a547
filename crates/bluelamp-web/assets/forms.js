// Staff forms that never lose what was typed. A form is sent in the background;
// when the server refuses it, the message appears beside the field it concerns
// (or at the top of the form) and everything typed stays where it is. When it
// is accepted, the browser goes where the server sends it, as without script.
// Without JavaScript the forms post as usual and errors come back as a page
// inside the staff navigation.
(function () {
  "use strict";

  function clearErrors(form) {
    form.querySelectorAll(".field-error, .form-error").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid='true']").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      var described = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && !/-error$/.test(id);
      });
      if (described.length) { el.setAttribute("aria-describedby", described.join(" ")); } else { el.removeAttribute("aria-describedby"); }
    });
  }

  function fieldFor(form, name) {
    if (!name) { return null; }
    var direct = form.querySelector("[name='" + CSS.escape(name) + "']:not([type=hidden])");
    if (direct) { return direct; }
    // A step's fields are numbered (step1_approvers): the first that matches.
    return form.querySelector("[name$='_" + CSS.escape(name) + "']:not([type=hidden])");
  }

  function showError(form, name, message) {
    var field = fieldFor(form, name);
    var note = document.createElement("p");
    note.setAttribute("role", "alert");
    note.textContent = message;
    if (field) {
      var id = (field.id || field.name) + "-error";
      note.id = id;
      note.className = "field-error";
      field.setAttribute("aria-invalid", "true");
      var described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", described ? described + " " + id : id);
      field.insertAdjacentElement("afterend", note);
      field.focus();
    } else {
      note.className = "form-error error";
      form.insertAdjacentElement("afterbegin", note);
      var first = form.querySelector("input:not([type=hidden]), textarea, select, button");
      if (first) { first.focus(); }
    }
  }

  function replacePage(html) {
    document.open();
    document.write(html);
    document.close();
  }

  async function explain(response) {
    var text = await response.text();
    var doc = new DOMParser().parseFromString(text, "text/html");
    var detail = doc.querySelector("[data-error-detail]");
    if (!detail && doc.querySelector("main form")) {
      // The server showed the form again itself, with the error beside the
      // field and what was typed kept: show that page.
      return { page: text };
    }
    var message = detail ? detail.textContent.trim() : (text.trim().slice(0, 300) || response.statusText);
    if (response.status === 401) {
      message = "Your session has ended. Log in again in another tab, then press the button again: what you typed is kept here.";
    }
    return { field: response.headers.get("x-bluelamp-field"), message: message };
  }

  document.addEventListener("submit", async function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post" ||
        form.hasAttribute("data-native") || event.defaultPrevented ||
        new URL(form.action, window.location.href).origin !== window.location.origin) {
      return;
    }
    event.preventDefault();
    clearErrors(form);
    var submitter = event.submitter;
    var data = new FormData(form, submitter);
    var body = form.enctype === "multipart/form-data" ? data : new URLSearchParams(data);
    if (submitter) { submitter.disabled = true; }
    var response;
    try {
      response = await fetch(form.action, { method: "POST", body: body, credentials: "same-origin" });
    } catch (problem) {
      showError(form, null, "No connection: nothing was sent. Your text is still here; try again when you are back online.");
      if (submitter) { submitter.disabled = false; }
      return;
    }
    if (response.ok) {
      if (response.redirected) {
        window.location.assign(response.url);
        return;
      }
      // A page answered directly (a new token shown once): show it as it is.
      replacePage(await response.text());
      return;
    }
    var problem = await explain(response);
    if (problem.page) {
      replacePage(problem.page);
      return;
    }
    if (submitter) { submitter.disabled = false; }
    showError(form, problem.field, problem.message);
  });
})();
