// Live alerts on the staff inbox: an urgent message arriving anywhere in the force
// shows a banner at once. Without JavaScript the page still works; reload to see new
// messages.
(function () {
  var box = document.getElementById("inbox-alerts");
  if (!box || !window.EventSource) return;
  var source = new EventSource("/staff/inbox/alerts");
  source.addEventListener("urgent", function (event) {
    box.textContent = "";
    var p = document.createElement("p");
    p.className = "callout";
    var strong = document.createElement("strong");
    strong.textContent = event.data + " ";
    var link = document.createElement("a");
    link.href = "/staff/inbox?priority=critical";
    link.textContent = "Show critical messages";
    p.appendChild(strong);
    p.appendChild(link);
    box.appendChild(p);
  });
})();
