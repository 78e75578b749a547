// "Notify me on this device": register the service worker, ask the browser for
// a push subscription with this server's key, and send it to the server.
(function () {
  "use strict";
  var box = document.getElementById("push");
  var button = document.getElementById("push-on");
  var status = document.getElementById("push-status");
  if (!box || !button) { return; }
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    button.disabled = true;
    status.textContent = "This browser cannot show notifications from Bluelamp.";
    return;
  }
  function keyBytes(base64url) {
    var padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4);
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }
  function encode(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  button.addEventListener("click", async function () {
    button.disabled = true;
    status.textContent = "Asking your browser…";
    try {
      var registration = await navigator.serviceWorker.register("/staff/sw.js", { scope: "/staff/" });
      await navigator.serviceWorker.ready;
      var subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(box.dataset.key)
      });
      var body = new URLSearchParams({
        csrf: box.dataset.csrf,
        endpoint: subscription.endpoint,
        p256dh: encode(subscription.getKey("p256dh")),
        auth: encode(subscription.getKey("auth"))
      });
      var response = await fetch("/staff/push/subscribe", { method: "POST", body: body, credentials: "same-origin" });
      if (!response.ok) { throw new Error("the server refused the subscription (" + response.status + ")"); }
      window.location.assign(response.url);
    } catch (problem) {
      status.textContent = "Notifications could not be turned on here: " + problem.message;
      button.disabled = false;
    }
  });
})();
