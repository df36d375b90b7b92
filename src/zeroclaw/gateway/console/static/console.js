// The console's live updates: one EventSource on /ui/events; each event it sends
// (plugins, reloads, turns) becomes an htmx trigger on <body> ("zc-plugins", ...), which
// the page's live sections listen for to fetch themselves again. The generation in the
// header is set from the event's data, as text. No inline script anywhere (the CSP forbids
// it): this file is the console's only script besides htmx.
"use strict";
(function () {
  const url = document.body.dataset.live;
  if (!url || !window.EventSource) {
    return;
  }
  const badge = document.getElementById("live-state");
  const source = new EventSource(url);
  source.addEventListener("open", function () {
    badge.textContent = "live";
    badge.classList.add("on");
  });
  source.addEventListener("error", function () {
    badge.textContent = "offline";
    badge.classList.remove("on");
  });
  ["plugins", "reloads", "turns"].forEach(function (name) {
    source.addEventListener(name, function (event) {
      const data = JSON.parse(event.data);
      if (typeof data.generation === "number") {
        document.getElementById("generation").textContent = String(data.generation);
      }
      if (window.htmx) {
        window.htmx.trigger(document.body, "zc-" + name, data);
      }
    });
  });
  window.addEventListener("pagehide", function () {
    source.close();
  });
})();
