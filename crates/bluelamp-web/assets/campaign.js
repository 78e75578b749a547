// A campaign day's live count: while the campaign runs, ask for its figures every
// five seconds and update the total and each force's row. Without JavaScript the
// page still shows the count as of loading; reload to see it move.
(function () {
  var total = document.getElementById("campaign-total");
  if (!total || !window.fetch) return;
  var url = total.getAttribute("data-live");
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (view) {
        if (!view) return;
        total.textContent = String(view.posts);
        (view.forces || []).forEach(function (part) {
          var cell = document.querySelector('[data-force-posts="' + part.code + '"]');
          if (cell) cell.textContent = String(part.posts);
        });
      })
      .catch(function () {});
  }
  setInterval(refresh, 5000);
})();
