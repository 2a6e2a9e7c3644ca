/*
 * kiss-websocket, Go's executor: what the Go program (the wasm) calls in
 * the page. kiss-websocket.js loads it with the wasm and wasm_exec.js, once
 * the page no longer needs the network for itself; a page never loads it by
 * hand. It decides nothing: each function of rt does what Go asks (make a
 * socket, write, publish an event, run a hook) or reads what Go asks for.
 */
__kissWebsocketPart("0.1.0", function (I) {
  "use strict";

  var S = I.S;

  function detach(r) {
    var sock = r.ws;
    sock.onopen = null; sock.onclose = null; sock.onmessage = null;
    r.open = null; r.close = null;
    if (S.ws !== sock) return;
    S.recv = false; S.live = false; S.early = []; S.pong = null; S.awaitPong = false; S.unacked = []; S.owners = [];
  }

  // rt is what Go calls; it never sees frames. A socket is passed as the
  // record open() returned.
  var rt = {
    token: I.token,
    facts: I.facts,
    // open adopts the first socket, which init() made before Go was there
    // (what it went through since is in the loader's record, which Go gets
    // next), or makes one.
    open: function (url, onOpen, onClose, onPong, pre) {
      var r = pre && !pre.adopted ? pre : I.record(new WebSocket(url));
      r.adopted = true;
      I.adopt(r);
      r.open = onOpen; r.close = onClose;
      if (S.ws === r.ws) S.pong = onPong;
      return r;
    },
    // discard closes a socket made for an init() Go then refused: nothing
    // was sent on it, and connection is what it was before.
    discard: function (r) {
      if (!r || r.adopted) return;
      r.adopted = true; // nobody's any more
      I.adopt(r);
      detach(r);
      if (r.ws.readyState < 2) try { r.ws.close(); } catch (e) { /* already closing */ }
      if (I.ws.connection === r.ws) I.ws.connection = r.prev;
    },
    // link keeps what Go's refresh decided (core.Link) for every tab.
    link: function (token, root) {
      I.linkHere = { token: token, root: root };
      I.store("kiss-websocket-refreshed", JSON.stringify(I.linkHere));
    },
    live: function (r) {
      if (S.ws !== r.ws) return;
      S.recv = true; S.live = true;
      var early = S.early;
      S.early = [];
      for (var i = 0; i < early.length; i++) {
        I.publishFrame(early[i]);
        if (S.relay) I.relayFrame(early[i].data);
      }
    },
    closing: function (r) { if (S.ws === r.ws) S.live = false; },
    detach: detach,
    send: function (r, s) { I.track(r.ws, s); },
    // unsent returns, oldest first, the frames whose bytes were still
    // buffered (pings excluded); the last one may have been cut mid-frame.
    unsent: function (r) {
      var out = [];
      if (S.ws !== r.ws) return out;
      var left = r.ws.bufferedAmount;
      for (var i = S.unacked.length - 1; i >= 0 && left > 0; i--) {
        var s = S.unacked[i];
        left -= I.utf8Length(s);
        if (s !== "ping") out.unshift(s);
      }
      return out;
    },
    // ping sends the heartbeat; the next "pong" goes to Go.
    ping: function (r) { if (S.ws === r.ws) S.awaitPong = true; I.track(r.ws, "ping"); },
    counters: function () {
      return { framesIn: S.framesIn, bytesIn: S.bytesIn, framesOut: S.framesOut, bytesOut: S.bytesOut, dropped: S.dropped, relayedIn: S.relayedIn || 0 };
    },
    configure: function (config, maxBytes) {
      config = config || {}; // init(null) is init({})
      I.hooks = { onopen: config.onopen, onmessage: config.onmessage, onclose: config.onclose };
      S.maxBytes = maxBytes;
    },
    emit: function (name, payload) {
      if (name === "close") {
        I.hook("onclose");
        return;
      }
      I.publish(name, payload);
      if (name === "EVT_CONNECTED" || name === "EVT_RECONNECTED") I.hook("onopen");
    },
    deferred: function () {
      var d = {};
      d.promise = new Promise(function (resolve, reject) { d.resolve = resolve; d.reject = reject; });
      return d;
    },
    // shared: shared mode's executor (kiss-websocket-shared.js) when this
    // tab shares its socket (asked: init's shared), else null
    shared: function (asked) { return I.sh ? I.sh.wants(asked) : null; },
    typeOf: function (v) { return Array.isArray(v) ? "array" : typeof v; },
    warn: I.warn,
    ready: I.ready
  };

  // What happened before Go was there (calls, and the first socket's open
  // and close) is replayed in order once Go is (and shared mode's file, when
  // the page asked for it). Each call returns only once Go has acted on it.
  var calls = {
    initWith: function (config, pre) { return I.impl().init(config === undefined ? {} : config, pre || undefined); },
    // a send made while the wasm loaded: sent only in the session its facts name
    sendText: function (s, f) {
      var err = I.impl().send(s, f);
      if (err) throw err;
    },
    // called: the loader already made its call on the socket
    close: function (called) {
      var out = I.impl().close(called);
      if (out instanceof Error) throw out;
      return out;
    },
    reconnect: function () { I.impl().reconnect(); },
    page: function (name) { I.impl().page(name); }
  };

  function run(call) {
    var args = call[1];
    if (call[0] === "opened") { if (args[0].open) args[0].open(); return; }
    if (call[0] === "closed") { if (args[0].close) args[0].close(args[1]); return; }
    try {
      var out = calls[call[0]].apply(null, args);
      if (call[2]) Promise.resolve(out).then(call[2], call[3]);
    } catch (e) {
      if (call[3]) call[3](e); else I.warn(call[0] + " failed: " + (e && e.message));
    }
  }

  var replaying = false;
  I.replay = function () {
    if (!I.impl() || I.held() || replaying) return;
    replaying = true;
    I.replaying(true);
    try {
      var q = I.queue();
      while (q.length && !I.held()) run(q.shift());
    } finally {
      replaying = false;
      I.replaying(false);
    }
  };

  // run starts the Go program. Go reads kiss through a view that follows the
  // loader's: KissJS's kiss may be found after Go started (loaded before
  // KissJS).
  I.run = function (module) {
    var go = new Go();
    var view = new Proxy({}, { get: function (_, name) { return I.kiss()[name]; } });
    globalThis.__kissWebsocketBoot = { kiss: view, rt: rt };
    return WebAssembly.instantiate(module, go.importObject).then(function (instance) {
      go.run(instance).then(function () {
        if (!I.impl()) I.fail(new Error("the Go program exited"));
      }, I.fail);
    });
  };
});
