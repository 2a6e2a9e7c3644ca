/*
 * kiss-websocket loader: a drop-in kiss.websocket backed by Go/WebAssembly.
 *
 * A classic script, loaded after KissJS (or alone). KissJS declares
 * `const kiss` at top level, which is not `window.kiss`, so the object is
 * found by name. kiss.websocket is installed at once; calls made before the
 * wasm is ready are queued and replayed in order.
 *
 * The per-frame path stays here in JavaScript (pong check, JSON.parse,
 * publish, onmessage, ws.send while open): one call from JavaScript into Go
 * costs 15-25 us, so Go only sees control events (open, close, pong, sends
 * while no socket is open) and owns every decision.
 */
(function () {
  "use strict";

  var VERSION = "0.1.0";
  var NO_INIT_SEND = "No connection to opened: kiss.websocket.init has not been called.";
  var NO_INIT_CLOSE = "No connection to close: kiss.websocket.init has not been called.";

  var k = typeof kiss !== "undefined" ? kiss : (globalThis.kiss || (globalThis.kiss = {}));
  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/[^/]*$/, "") : "./";
  var wasmURL = (script && script.getAttribute("data-wasm")) || base + "kiss-websocket.wasm";

  var impl = null; // set by Go when the wasm is ready
  var failure = null; // set when the wasm failed to load
  var queue = []; // calls made before ready: [name, args, resolve, reject]
  var initCalled = false;
  var hooks = {};
  var subs = {}; // own pubsub for pages without kiss.pubsub

  // S is the state shared with Go for the socket of the moment.
  var S = {
    ws: null,
    recv: false, // Go finished the open sequence: dispatch frames
    live: false, // outbox flushed: send straight to the socket
    early: [], // frames that arrived before recv
    awaitPong: false,
    pong: null, // Go function, called once per answered ping
    unacked: [], // frames sent since bufferedAmount was last 0
    maxBytes: 1048576, // outbox.maxBytes: the largest message send accepts
    framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, dropped: 0
  };

  function warn(msg) {
    if (typeof console !== "undefined") console.warn("kiss.websocket: " + msg);
  }

  function publish(channel, data) {
    var ps = k.pubsub;
    if (ps && typeof ps.publish === "function") return ps.publish(channel, data);
    deliver(subs[channel], data);
    if (channel !== "*") deliver(subs["*"], data);
  }

  function deliver(list, data) {
    if (!list) return;
    list = list.slice();
    for (var i = 0; i < list.length; i++) {
      try { list[i](data); } catch (e) { warn("a subscriber threw: " + (e && e.message)); }
    }
  }

  function hook(name, arg) {
    var fn = hooks[name];
    if (typeof fn !== "function") return;
    try {
      if (arguments.length > 1) fn(arg); else fn();
    } catch (e) {
      warn(name + " threw: " + (e && e.message));
    }
  }

  // onFrame is the socket's onmessage: the whole per-frame path.
  function onFrame(ev) {
    var d = ev.data;
    if (d === "pong") {
      if (S.awaitPong && S.pong) { S.awaitPong = false; S.pong(); }
      return;
    }
    S.framesIn++;
    if (typeof d !== "string") {
      S.dropped++;
      warn("dropped a binary frame");
      return;
    }
    S.bytesIn += d.length;
    if (!S.recv) { S.early.push(ev); return; }
    dispatch(ev);
  }

  function dispatch(ev) {
    var v;
    try { v = JSON.parse(ev.data); } catch (e) {
      S.dropped++;
      warn("dropped a frame that is not JSON");
      return;
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      S.dropped++;
      warn("dropped a frame that is not a JSON object");
      return;
    }
    var channel = v.channel;
    if (channel !== undefined && typeof channel !== "string") {
      S.dropped++;
      warn("dropped a frame whose channel is not a string");
      return;
    }
    v.websocket = true;
    publish(channel, v);
    hook("onmessage", ev);
  }

  // track remembers a frame the socket may still hold in bufferedAmount; at
  // an abnormal close, unsent() hands those back to Go's outbox.
  function track(sock, s) {
    if (sock.bufferedAmount === 0) S.unacked.length = 0;
    sock.send(s);
    S.unacked.push(s);
  }

  var encoder = typeof TextEncoder === "function" ? new TextEncoder() : null;
  function utf8Length(s) { return encoder ? encoder.encode(s).length : s.length * 3; }

  // rt is what Go calls; it never sees frames.
  var rt = {
    attach: function (ws, pong) {
      S.ws = ws; S.recv = false; S.live = false; S.early = []; S.awaitPong = false; S.pong = pong; S.unacked = [];
      ws.onmessage = onFrame;
    },
    live: function (ws) {
      if (S.ws !== ws) return;
      S.recv = true; S.live = true;
      var early = S.early;
      S.early = [];
      for (var i = 0; i < early.length; i++) dispatch(early[i]);
    },
    closing: function (ws) { if (S.ws === ws) S.live = false; },
    detach: function (ws) {
      ws.onmessage = null;
      if (S.ws !== ws) return;
      S.recv = false; S.live = false; S.early = []; S.pong = null; S.awaitPong = false; S.unacked = [];
    },
    send: function (ws, s) { track(ws, s); },
    // unsent returns, oldest first, the frames whose bytes were still
    // buffered (pings excluded); the last one may have been cut mid-frame.
    unsent: function (ws) {
      var out = [];
      if (S.ws !== ws) return out;
      var left = ws.bufferedAmount;
      for (var i = S.unacked.length - 1; i >= 0 && left > 0; i--) {
        var s = S.unacked[i];
        left -= utf8Length(s);
        if (s !== "ping") out.unshift(s);
      }
      return out;
    },
    awaitPong: function () { S.awaitPong = true; },
    counters: function () {
      return { framesIn: S.framesIn, bytesIn: S.bytesIn, framesOut: S.framesOut, bytesOut: S.bytesOut, dropped: S.dropped };
    },
    configure: function (config, maxBytes) {
      hooks = { onopen: config.onopen, onmessage: config.onmessage, onclose: config.onclose };
      S.maxBytes = maxBytes;
    },
    emit: function (name, payload) {
      if (name === "close") { hook("onclose"); return; }
      publish(name, payload);
      if (name === "EVT_CONNECTED" || name === "EVT_RECONNECTED") hook("onopen");
    },
    deferred: function () {
      var d = {};
      d.promise = new Promise(function (resolve) { d.resolve = resolve; });
      return d;
    },
    typeOf: function (v) { return Array.isArray(v) ? "array" : typeof v; },
    warn: warn,
    ready: function (goImpl) {
      impl = goImpl;
      var q = queue;
      queue = [];
      for (var i = 0; i < q.length; i++) run(q[i]);
      resolveReady();
    }
  };

  function run(call) {
    try {
      var r = api[call[0]].apply(api, call[1]);
      if (call[2]) Promise.resolve(r).then(call[2], call[3]);
    } catch (e) {
      if (call[3]) call[3](e); else warn(call[0] + " failed: " + (e && e.message));
    }
  }

  function later(name, args, withPromise) {
    if (failure) return withPromise ? Promise.reject(failure) : undefined;
    if (!withPromise) { queue.push([name, args]); return undefined; }
    return new Promise(function (resolve, reject) { queue.push([name, args, resolve, reject]); });
  }

  function serialise(jsonData) {
    var s;
    try { s = JSON.stringify(jsonData); } catch (e) {
      throw new TypeError("kiss.websocket.send: cannot serialise the message to JSON: " + (e && e.message));
    }
    if (typeof s !== "string") {
      throw new TypeError("kiss.websocket.send: cannot serialise the message to JSON: " + typeof jsonData + " has no JSON form");
    }
    if (s.length * 3 > S.maxBytes) {
      var n = utf8Length(s);
      if (n > S.maxBytes) {
        throw new RangeError("kiss.websocket.send: the message is " + n + " bytes, more than outbox.maxBytes (" + S.maxBytes + ")");
      }
    }
    return s;
  }

  var connection = {};
  Object.defineProperty(connection, "readyState", {
    enumerable: false,
    get: function () {
      if (impl) return impl.readyState();
      return initCalled ? 0 : undefined;
    }
  });

  var api = {
    init: function (config) {
      if (k.context && k.context.ws === "no") return Promise.resolve(undefined);
      if (!initCalled) { initCalled = true; ws.connection = connection; }
      if (!impl) return later("init", [config], true);
      return new Promise(function (resolve, reject) { impl.init(config === undefined ? {} : config, resolve, reject); });
    },
    send: function (jsonData) {
      if (!initCalled) throw new Error(NO_INIT_SEND);
      var s = serialise(jsonData);
      var sock = S.ws;
      if (S.live && sock.readyState === 1) {
        track(sock, s);
        S.framesOut++;
        S.bytesOut += s.length;
        return;
      }
      if (!impl) { later("sendText", [s], false); return; }
      var err = impl.send(s);
      if (err) throw err;
    },
    sendText: function (s) {
      var err = impl.send(s);
      if (err) throw err;
    },
    close: function () {
      if (!initCalled) throw new Error(NO_INIT_CLOSE);
      if (!impl) return later("close", [], true);
      var out = impl.close();
      if (out instanceof Error) throw out;
      return out;
    },
    reconnect: function () {
      if (!impl) return later("reconnect", [], false);
      impl.reconnect();
    }
  };

  var resolveReady, rejectReady;
  var ready = new Promise(function (resolve, reject) { resolveReady = resolve; rejectReady = reject; });

  var ws = {
    connection: {},
    version: VERSION,
    ready: ready,
    init: api.init,
    send: api.send,
    close: api.close,
    reconnect: api.reconnect,
    stats: function () { return impl ? impl.stats() : undefined; },
    on: function (event, fn) {
      if (typeof fn !== "function") throw new TypeError("kiss.websocket.on: the listener must be a function");
      (subs[event] || (subs[event] = [])).push(fn);
      return fn;
    },
    off: function (event, fn) {
      var list = subs[event];
      if (!list) return;
      var i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    },
    _debug: function () { return impl ? impl.debug() : undefined; }
  };
  Object.defineProperty(ws, "state", {
    enumerable: true,
    get: function () { return impl ? impl.state() : (initCalled ? "connecting" : "idle"); }
  });
  k.websocket = ws;

  function fail(e) {
    failure = new Error("kiss.websocket: failed to load " + wasmURL + ": " + (e && e.message ? e.message : e));
    rejectReady(failure);
    var q = queue;
    queue = [];
    for (var i = 0; i < q.length; i++) {
      if (q[i][3]) q[i][3](failure); else warn(q[i][0] + " lost: " + failure.message);
    }
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement("script");
      el.src = src;
      el.onload = resolve;
      el.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(el);
    });
  }

  function instantiate(go) {
    var fetched = fetch(wasmURL);
    if (WebAssembly.instantiateStreaming) {
      return WebAssembly.instantiateStreaming(fetched, go.importObject).catch(function () {
        // wrong MIME type on some servers: fall back to a plain buffer
        return fetch(wasmURL).then(bytesOf).then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
      });
    }
    return fetched.then(bytesOf).then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
  }

  function bytesOf(r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.arrayBuffer();
  }

  (typeof Go === "function" ? Promise.resolve() : loadScript(base + "wasm_exec.js"))
    .then(function () {
      var go = new Go();
      globalThis.__kissWebsocketBoot = { kiss: k, rt: rt };
      return instantiate(go).then(function (result) {
        go.run(result.instance).then(function () {
          if (!impl) fail(new Error("the Go program exited"));
        }, fail);
      });
    })
    .catch(fail);
})();
