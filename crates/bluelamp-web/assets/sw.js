// Bluelamp's service worker: a Web Push message becomes a notification; tapping
// it opens the page it is about. Nothing else is cached or intercepted.
self.addEventListener("push", function (event) {
  var message = { title: "Bluelamp", body: "You have a new notification.", url: "/staff/notifications" };
  try { message = Object.assign(message, event.data ? event.data.json() : {}); } catch (e) { /* keep the default */ }
  event.waitUntil(self.registration.showNotification(message.title, {
    body: message.body,
    icon: "/assets/icon.svg",
    data: { url: message.url }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/staff/notifications";
  if (url.charAt(0) !== "/") { url = "/staff/notifications"; }
  event.waitUntil(self.clients.openWindow(url));
});
