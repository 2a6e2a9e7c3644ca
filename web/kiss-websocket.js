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
    pre: null, // the socket init() made before the wasm was ready, until Go adopts it
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
    S.framesIn++;
    if (d === "pong") { // counted, as natively, and swallowed
      S.bytesIn += 4;
      if (S.awaitPong && S.pong) { S.awaitPong = false; S.pong(); }
      return;
    }
    if (typeof d !== "string") {
      S.dropped++;
      warn("dropped a binary frame");
      return;
    }
    S.bytesIn += utf8Length(d);
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
    if (v === null) {
      S.dropped++;
      warn("dropped a frame that is JSON null");
      return;
    }
    // As KissJS: any JSON value is published on value.channel; an array, a
    // number, a string or a boolean has none, so only "*" sees it.
    var channel;
    if (typeof v === "object") {
      channel = v.channel;
      if (channel !== undefined && typeof channel !== "string") {
        S.dropped++;
        warn("dropped a frame whose channel is not a string");
        return;
      }
      v.websocket = true;
    }
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

  // utf8Length is the size of s on the wire, as Go counts bytes: stats() adds
  // both sides' counters, so they must share the unit. It runs once per
  // frame, so an ASCII frame (the common case) costs one regular expression
  // test, which V8 runs natively (TextEncoder.encodeInto is a call into
  // Blink: it cost more per frame than the loop below, measured in make
  // bench). A lone surrogate counts 3, as its U+FFFD does.
  var nonASCII = /[^\x00-\x7f]/;
  function utf8Length(s) {
    if (!nonASCII.test(s)) return s.length;
    var n = s.length;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0x80) continue;
      if (c < 0x800) { n += 1; continue; }
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
        var d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) { n += 2; i++; continue; } // a pair: 4 bytes for 2 units
      }
      n += 2;
    }
    return n;
  }

  // The socket URL, as KissJS builds it: socketUrl, else the session's
  // websocket host, with the token appended (URL-encoded) only when the
  // address ends with "token=". It lives here, not in Go: init() creates the
  // socket at once, as KissJS does, also while the wasm is still loading.
  function socketURL(cfg) {
    var base = cfg && typeof cfg.socketUrl === "string" && cfg.socketUrl !== "" ? cfg.socketUrl : defaultBase(cfg || {});
    return /token=$/.test(base) ? base + escapeQuery(token()) : base;
  }

  function defaultBase(cfg) {
    var sess = k.session, ports = cfg.port != null || cfg.sslPort != null;
    var secure, host = "";
    if (sess && typeof sess === "object") {
      if (!ports && typeof sess.getWebsocketHost === "function") {
        var h = sess.getWebsocketHost();
        if (typeof h === "string") return h + "/?token=";
      }
      secure = sess.secure === undefined ? true : !!sess.secure; // KissJS's default, even on an http page
      if (typeof sess.host === "string") host = sess.host;
    } else {
      secure = location.protocol === "https:";
    }
    if (!host) host = location.host;
    var port = secure ? cfg.sslPort : cfg.port;
    if (typeof port !== "number") port = secure ? 443 : 80;
    var named = host.charAt(0) === "[" ? host.indexOf("]:") >= 0 : host.split(":").length === 2;
    if (!named && port > 0) {
      if (host.indexOf(":") >= 0 && host.charAt(0) !== "[") host = "[" + host + "]";
      host += ":" + port;
    }
    return (secure ? "wss://" : "ws://") + host + "/?token=";
  }

  // escapeQuery leaves only RFC 3986 unreserved characters.
  function escapeQuery(s) {
    return encodeURIComponent(s).replace(/[!'()*]/g, function (c) { return "%" + c.charCodeAt(0).toString(16).toUpperCase(); });
  }

  // token is kiss.session.getToken() or localStorage["session-token"]; it is
  // read at every attempt and never logged.
  function token() {
    var sess = k.session;
    if (sess && typeof sess.getToken === "function") {
      var t = sess.getToken();
      if (typeof t === "string") return t;
    }
    try {
      var v = localStorage.getItem("session-token");
      return typeof v === "string" ? v : "";
    } catch (e) { return ""; }
  }

  // makeSocket creates the socket of the moment: connection is the browser's
  // WebSocket itself, as in KissJS. Open and close are recorded, so a socket
  // made before Go was there tells Go what it missed.
  function makeSocket(url) {
    var sock = new WebSocket(url);
    var r = { ws: sock, opened: false, closed: null, adopted: false,
      open: null, close: null, prev: ws.connection };
    sock.onopen = function () { r.opened = true; if (r.open) r.open(); };
    sock.onclose = function (ev) { r.closed = ev; if (r.close) r.close(ev); };
    sock.onmessage = onFrame;
    S.ws = sock; S.recv = false; S.live = false; S.early = []; S.awaitPong = false; S.pong = null; S.unacked = [];
    ws.connection = sock;
    return r;
  }

  function detach(r) {
    var sock = r.ws;
    sock.onopen = null; sock.onclose = null; sock.onmessage = null;
    r.open = null; r.close = null;
    if (S.ws !== sock) return;
    S.recv = false; S.live = false; S.early = []; S.pong = null; S.awaitPong = false; S.unacked = [];
  }

  // preOpen is init() while the wasm loads: the handshake overlaps the
  // download. It returns the record the queued init hands to Go, which
  // adopts that socket, or closes it if it rejects the config; null when a
  // socket is already there (KissJS's init returns early then) or the URL is
  // bad (Go reports it).
  function preOpen(config) {
    if (S.pre && !S.pre.closed) return null;
    try { S.pre = makeSocket(socketURL(config)); } catch (e) { S.pre = null; }
    return S.pre;
  }

  // discard closes a socket made for an init() that was then rejected (or
  // never ran): nothing was sent on it, and connection is what it was before.
  function discard(r) {
    if (!r || r.adopted) return;
    r.adopted = true; // nobody's any more
    if (S.pre === r) S.pre = null;
    detach(r);
    try { r.ws.close(); } catch (e) { /* already closing */ }
    if (ws.connection === r.ws) ws.connection = r.prev;
  }

  // session names the session a message is sent in: the KissJS user, or
  // without KissJS the token, where a token our refresh gave stays the
  // session of the one it replaced (rt.refreshed).
  var refreshed = { token: null, id: null };
  function session() {
    var sess = k.session;
    if (sess && typeof sess === "object") {
      var u = typeof sess.getUserId === "function" ? sess.getUserId() : undefined;
      if (typeof u !== "string") {
        try { u = localStorage.getItem("session-userId"); } catch (e) { u = null; }
      }
      return "user:" + (typeof u === "string" ? u : "");
    }
    var t = token();
    return t !== "" && t === refreshed.token ? refreshed.id : "token:" + t;
  }

  function later_(fn) { Promise.resolve().then(fn); }

  // rt is what Go calls; it never sees frames. A socket is passed as the
  // record open() returned.
  var rt = {
    url: socketURL,
    token: token,
    // open adopts the socket init() made before the wasm was ready, or makes
    // one; what it already went through reaches Go after this call returns.
    open: function (url, onOpen, onClose, onPong, pre) {
      var r = pre && !pre.adopted ? pre : makeSocket(url);
      r.adopted = true;
      if (S.pre === r) S.pre = null;
      r.open = onOpen; r.close = onClose;
      if (S.ws === r.ws) S.pong = onPong;
      if (r.opened) later_(function () { if (r.open) r.open(); });
      if (r.closed) later_(function () { if (r.close) r.close(r.closed); });
      return r;
    },
    discard: discard,
    session: session,
    // refreshed is called by Go's refresh, before it stores the new token.
    refreshed: function (t) { refreshed = { token: t, id: session() }; },
    live: function (r) {
      if (S.ws !== r.ws) return;
      S.recv = true; S.live = true;
      var early = S.early;
      S.early = [];
      for (var i = 0; i < early.length; i++) dispatch(early[i]);
    },
    closing: function (r) { if (S.ws === r.ws) S.live = false; },
    detach: detach,
    send: function (r, s) { track(r.ws, s); },
    // unsent returns, oldest first, the frames whose bytes were still
    // buffered (pings excluded); the last one may have been cut mid-frame.
    unsent: function (r) {
      var out = [];
      if (S.ws !== r.ws) return out;
      var left = r.ws.bufferedAmount;
      for (var i = S.unacked.length - 1; i >= 0 && left > 0; i--) {
        var s = S.unacked[i];
        left -= utf8Length(s);
        if (s !== "ping") out.unshift(s);
      }
      return out;
    },
    // ping sends the heartbeat; the next "pong" goes to Go.
    ping: function (r) { if (S.ws === r.ws) S.awaitPong = true; track(r.ws, "ping"); },
    counters: function () {
      return { framesIn: S.framesIn, bytesIn: S.bytesIn, framesOut: S.framesOut, bytesOut: S.bytesOut, dropped: S.dropped };
    },
    configure: function (config, maxBytes) {
      config = config || {}; // init(null) is init({})
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
      d.promise = new Promise(function (resolve, reject) { d.resolve = resolve; d.reject = reject; });
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
    if (failure) {
      if (withPromise) return Promise.reject(failure);
      throw failure; // the wasm will never run: say why, once per call
    }
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

  var api = {
    init: function (config) {
      if (k.context && k.context.ws === "no") return Promise.resolve(undefined);
      initCalled = true;
      if (!impl) return later("initWith", [config, failure ? null : preOpen(config)], true);
      return impl.init(config === undefined ? {} : config);
    },
    send: function (jsonData) {
      if (!initCalled) throw new Error(NO_INIT_SEND);
      var s = serialise(jsonData);
      var sock = S.ws;
      if (S.live && sock.readyState === 1) {
        track(sock, s);
        S.framesOut++;
        S.bytesOut += utf8Length(s);
        return;
      }
      if (!impl) { later("sendText", [s, session()], false); return; }
      var err = impl.send(s);
      if (err) throw err;
    },
    // sendText replays a send made while the wasm loaded, in its session.
    sendText: function (s, sess) {
      var err = impl.send(s, sess);
      if (err) throw err;
    },
    initWith: function (config, pre) {
      return impl.init(config === undefined ? {} : config, pre);
    },
    close: function () {
      if (!initCalled) throw new Error(NO_INIT_CLOSE);
      if (!impl) {
        // As KissJS: the socket starts closing now (kiss.session.reset()
        // reads its readyState); Go sees the close when it adopts it.
        if (S.pre && !S.pre.closed) try { S.pre.ws.close(4003, "DEFINITIVE_CLOSE"); } catch (e) { /* closing */ }
        return later("close", [], true);
      }
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

  // blockedByCSP tells a compile refused by the page's Content-Security-Policy.
  function blockedByCSP(e) {
    return /Content Security Policy|unsafe-eval/.test(String(e && e.message));
  }

  function fail(e) {
    var why = e && e.message ? e.message : String(e);
    if (blockedByCSP(e)) {
      why = "the page's Content-Security-Policy does not allow WebAssembly: add 'wasm-unsafe-eval' to its script-src directive (" + why + ")";
    }
    failure = new Error("kiss.websocket: failed to load " + wasmURL + ": " + why);
    rejectReady(failure);
    for (var j = 0; j < queue.length; j++) if (queue[j][0] === "initWith") discard(queue[j][1][1]); // nothing would run them
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

  // compile fetches and compiles the wasm. It starts as soon as this script
  // runs, in parallel with wasm_exec.js and with the socket init() opens, so
  // a page waits for one transfer, not three in series. compileStreaming
  // also lets Chromium keep the compiled code for the next visit (for an
  // application/wasm response; a 304 keeps it).
  function compile() {
    if (WebAssembly.compileStreaming) {
      return WebAssembly.compileStreaming(fetch(wasmURL)).catch(function (e) {
        if (blockedByCSP(e)) throw e; // a buffer would be refused the same way
        // wrong MIME type on some servers: fall back to a plain buffer
        return fetch(wasmURL).then(bytesOf).then(function (b) { return WebAssembly.compile(b); });
      });
    }
    return fetch(wasmURL).then(bytesOf).then(function (b) { return WebAssembly.compile(b); });
  }

  function bytesOf(r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.arrayBuffer();
  }

  var compiled = compile();
  Promise.all([compiled, typeof Go === "function" ? null : loadScript(base + "wasm_exec.js")])
    .then(function (r) {
      var go = new Go();
      globalThis.__kissWebsocketBoot = { kiss: k, rt: rt };
      return WebAssembly.instantiate(r[0], go.importObject).then(function (instance) {
        go.run(instance).then(function () {
          if (!impl) fail(new Error("the Go program exited"));
        }, fail);
      });
    })
    .catch(fail);
})();
