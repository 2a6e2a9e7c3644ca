// A plain JS websocket client of KissJS's shape, for the KissJS-shaped page
// (app-plain.html): the socket made inside init from the stored token, as
// KissJS's own client makes it, EVT_CONNECTED on open, frames parsed and
// published. What a page costs with nothing more.
(function () {
  "use strict";
  kiss.websocket = {
    connection: {},
    init: function (config) {
      // as KissJS: the stored token glued onto the address
      var ws = new WebSocket(config.socketUrl + localStorage.getItem("session-token"));
      this.connection = ws;
      ws.onmessage = function (e) {
        var v = JSON.parse(e.data);
        v.websocket = true;
        kiss.pubsub.publish(v.channel, v);
      };
      return new Promise(function (resolve) {
        ws.onopen = function () { resolve(true); kiss.pubsub.publish("EVT_CONNECTED"); };
      });
    },
    send: function (data) { this.connection.send(JSON.stringify(data)); },
    ready: Promise.resolve()
  };
})();
