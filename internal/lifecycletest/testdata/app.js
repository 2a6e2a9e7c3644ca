// The page of the life-cycle tests, loaded after the bench's KissJS
// stand-in (a top-level const kiss with pubsub) and the loader. An external
// script, so it runs under script-src 'self'. It records what the page sees
// in T, with performance.now() times; ?config= is init's config (JSON), which
// it passes on at once, as a KissJS app does at startup.
(function () {
  "use strict";
  var T = (window.T = { events: [], pongs: 0, notes: [] });
  var info = console.info;
  console.info = function (msg) { T.notes.push(String(msg)); return info.apply(console, arguments); };
  function log(name, detail) { T.events.push({ name: name, at: performance.now(), epoch: performance.timeOrigin + performance.now(), detail: detail }); }
  window.addEventListener("pageshow", function (e) { log("pageshow", e.persisted); });
  window.addEventListener("pagehide", function (e) { log("pagehide", e.persisted); });
  document.addEventListener("freeze", function () { log("freeze"); });
  document.addEventListener("resume", function () { log("resume"); });
  document.addEventListener("visibilitychange", function () { log("visibility", document.visibilityState); });
  ["EVT_CONNECTED", "EVT_RECONNECTED", "EVT_DISCONNECTED", "EVT_RECONNECTING", "EVT_CONNECTION_LOST",
    "EVT_CONNECTION_CLOSED", "EVT_UNUSABLE_TOKEN", "EVT_SERVER_GONE"].forEach(function (n) {
    kiss.pubsub.subscribe(n, function () { log(n); });
  });
  kiss.pubsub.subscribe("*", function (d) { if (d && typeof d.channel === "string") log("msg:" + d.channel, d.n); });
  // Timer gaps, to see how the browser throttles this tab.
  T.gaps = [];
  var last = performance.now();
  (function tick() {
    var now = performance.now();
    T.gaps.push(Math.round(now - last));
    if (T.gaps.length > 2000) T.gaps.shift();
    last = now;
    setTimeout(tick, 100);
  })();
  T.ready = kiss.websocket.ready.then(function () { return "ready"; }, function (e) { return "rejected: " + e.message; });
  var config = new URLSearchParams(location.search).get("config");
  if (config) {
    T.init = kiss.websocket.init(JSON.parse(config)).then(String, function (e) { return "rejected: " + e.message; });
  }
})();
