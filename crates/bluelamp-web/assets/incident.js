// A live incident page: when the server says a new update is published, fetch the
// page again and swap in its updates and map, so readers need not reload. Without
// JavaScript (or EventSource) the page is still complete on refresh.
(function () {
  var updates = document.getElementById("updates");
  if (!updates || !window.EventSource) return;
  var source = new EventSource(updates.getAttribute("data-live"));
  source.addEventListener("update", function () {
    fetch(window.location.href, { cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (!text) return;
        var fresh = new DOMParser().parseFromString(text, "text/html");
        var main = document.querySelector("main");
        var freshMain = fresh.querySelector("main");
        if (main && freshMain) {
          main.innerHTML = freshMain.innerHTML;
          document.body.setAttribute("data-updated", String(Date.now()));
        }
      });
  });
})();
