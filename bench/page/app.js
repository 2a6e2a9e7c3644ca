// The app of the KissJS-shaped pages (app-ours.html, app-plain.html): init at once, as a KissJS
// app's start-up does, then bench.app() reports, in ms after the navigation
// started, the page's load event, EVT_CONNECTED and (ours) Go ready.
(function () {
  "use strict";
  var at = {};
  kiss.pubsub.subscribe("EVT_CONNECTED", function () { if (!at.connected) at.connected = performance.now(); });
  var wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/bench/ws?id=";
  var t = performance.now();
  kiss.websocket.init({ socketUrl: wsBase + "app-" + Math.random().toString(36).slice(2, 10) });
  at.init = performance.now() - t;
  var loaded = new Promise(function (resolve) { window.addEventListener("load", function () { setTimeout(resolve, 0); }); });
  var connected = new Promise(function (resolve) {
    (function check() { if (at.connected) resolve(); else setTimeout(check, 5); })();
  });
  var ready = Promise.resolve(kiss.websocket.ready).then(function () { at.ready = performance.now(); });
  window.bench = {
    app: function () {
      return Promise.all([loaded, connected, ready]).then(function () {
        var nav = performance.getEntriesByType("navigation")[0];
        return { load: nav.loadEventStart, connected: at.connected, ready: at.ready || 0, init: at.init };
      });
    }
  };
})();
