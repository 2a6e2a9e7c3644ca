/*
 * kiss-websocket: a drop-in kiss.websocket backed by Go/WebAssembly; the one
 * file a page loads before its first EVT_CONNECTED. Load it before or after
 * KissJS (whose `const kiss` is no window.kiss: it is found by name).
 *
 * Until Go (the wasm, with kiss-websocket-go.js) is there, a fixed script
 * runs the first socket as KissJS does: init() opens it, its open resolves
 * init true, publishes EVT_CONNECTED and runs onopen, its frames are
 * published in their own message events and send() writes to it. All else
 * is recorded in order; Go adopts the socket and acts on the record. Go
 * loads once the page is done with the network. The per-frame path stays in
 * JavaScript always (a call into Go costs 15-25 us); Go decides the rest.
 */
(function () {
  "use strict";

  var VERSION = "0.1.0";
  var NO_INIT_SEND = "No connection to opened: kiss.websocket.init has not been called.";
  var NO_INIT_CLOSE = "No connection to close: kiss.websocket.init has not been called.";
  var GO_LATEST = 3000; // ms: Go loads by then, even on a page still loading

  // k is KissJS's `const kiss`, else window.kiss; before KissJS, a
  // provisional window.kiss until findKiss() sees KissJS's.
  var k = named();
  var provisional = null;
  if (!k) k = provisional = globalThis.kiss = {};
  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/[^/]*$/, "") : "./";
  var wasmURL = (script && script.getAttribute("data-wasm")) || base + "kiss-websocket.wasm";
  var sharedAttr = !!(script && script.hasAttribute("data-shared"));

  var impl = null, failure = null; // Go's, once ready; why it never will be
  // queue waits for Go, in order: calls [name, args, resolve, reject] and the
  // first socket's ["opened"|"closed", [record, ev]].
  var queue = [];
  var replaying = false;
  var initCalled = false;
  var first = null; // the first socket, while the fixed script runs it
  var inits = 0;
  var subs = {}; // own pubsub for pages without kiss.pubsub

  // S is the state shared with Go for the socket of the moment.
  // recv: frames are published (early: those before); live: send writes to
  // the socket; relay: copy frames to the tabs led; pong: Go's, once a ping.
  var S = {
    ws: null, recv: false, live: false, early: [], relay: false, awaitPong: false, pong: null,
    unacked: [], owners: [], maxBytes: 1048576, framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, dropped: 0
  };

  // I is what the other files of the loader share with this one.
  var I = { S: S, hooks: {}, version: VERSION, sharedAttr: sharedAttr };

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
    var fn = I.hooks[name];
    if (typeof fn !== "function") return;
    try {
      if (arguments.length > 1) fn(arg); else fn();
    } catch (e) {
      warn(name + " threw: " + (e && e.message));
    }
  }

  // onFrame is the socket's onmessage: the whole per-frame path. The rule
  // (pong, binary, JSON, null, channel) is core's classify too: both pass
  // internal/rules/frames.json. Invalid UTF-8 never gets here: the browser
  // fails the socket instead.
  function onFrame(ev) {
    var d = ev.data;
    S.framesIn++;
    if (d === "pong") { // counted, as natively, and swallowed
      S.bytesIn += 4;
      if (S.awaitPong && S.pong) { S.awaitPong = false; S.pong(); }
      return;
    }
    if (typeof d !== "string") { // a Blob (or an ArrayBuffer): binary
      S.bytesIn += d.size !== undefined ? d.size : d.byteLength;
      drop("binary frame");
      return;
    }
    S.bytesIn += utf8Length(d);
    if (!S.recv) { S.early.push(ev); return; }
    var relay = S.relay; // leading in shared mode: copied to the other tabs, after this one
    publishFrame(ev);
    if (relay) I.relayFrame(d);
  }

  function publishFrame(ev) {
    var v;
    try { v = JSON.parse(ev.data); } catch (e) {
      drop("not JSON");
      return;
    }
    if (v === null) {
      drop("null");
      return;
    }
    // As KissJS: published on value.channel; without one only "*" sees it.
    var channel;
    if (typeof v === "object") {
      channel = v.channel;
      if (channel !== undefined && typeof channel !== "string") {
        drop("channel is not a string");
        return;
      }
      v.websocket = true;
    }
    publish(channel, v);
    hook("onmessage", ev);
  }

  // drop counts and logs a frame KissJS drops, in core's words (the rule's
  // vectors, internal/rules/frames.json, hold both to the same).
  function drop(reason) {
    S.dropped++;
    warn("dropped a frame from the server: " + reason);
  }

  // track remembers what bufferedAmount may still hold (Go's rt.unsent),
  // and who wrote it: owners[i] is unacked[i]'s follower in shared mode,
  // kept only once a follower wrote (missing: this tab's).
  function track(sock, s, owner) {
    if (sock.bufferedAmount === 0) { S.unacked.length = 0; S.owners.length = 0; }
    sock.send(s);
    if (owner) {
      while (S.owners.length < S.unacked.length) S.owners.push("");
      S.owners.push(owner);
    }
    S.unacked.push(s);
  }

  function write(sock, s) {
    track(sock, s);
    S.framesOut++;
    S.bytesOut += utf8Length(s);
  }

  // utf8Length is s's size on the wire, as Go counts (stats() adds both
  // sides'): one native regexp test for ASCII; a lone surrogate counts 3.
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

  // ---- Twins of core's rules, held to it by internal/rules' vectors -------
  // The first socket must be the one Go would open: core.Page.URL, with
  // KissJS's leniency for socketUrl, port, sslPort (core/fields.go). STRICT
  // are our own fields, Go's to accept or reject: such a config waits for Go.
  var STRICT = ["connectTimeout", "shared", "reconnection.factor", "reconnection.maxDelay", "outbox"];

  function fastConfig(cfg) {
    if (!cfg || typeof cfg !== "object") return true;
    for (var i = 0; i < STRICT.length; i++) {
      var p = STRICT[i].split("."), v = cfg;
      for (var j = 0; j < p.length && v != null; j++) v = typeof v === "object" ? v[p[j]] : undefined;
      if (v != null) return false;
    }
    return true;
  }

  // tok: the token, or a function that reads it
  function socketURL(cfg, sess, loc, tok) {
    if (!cfg || typeof cfg !== "object") cfg = {};
    var u = cfg.socketUrl;
    var b = typeof u === "string" && /^(wss?|https?):\/\/[^\/?]/i.test(u) && !/[ \t\r\n]/.test(u) ? u : defaultBase(cfg, sess, loc);
    return /token=$/.test(b) ? b + escapeQuery(typeof tok === "function" ? tok() : tok) : b;
  }

  // portOf: 1-65535 as a number or digits (KissJS's callers pass strings)
  function portOf(v) {
    if (typeof v === "string" && /^[ \t\n\r\f\v]*\d+(\.\d+)?[ \t\n\r\f\v]*$/.test(v)) v = Number(v);
    return typeof v === "number" && v % 1 === 0 && v >= 1 && v <= 65535 ? v : undefined;
  }

  function defaultBase(cfg, sess, loc) {
    var ports = portOf(cfg.port) !== undefined || portOf(cfg.sslPort) !== undefined;
    var secure, host = "";
    if (sess && typeof sess === "object") {
      if (!ports && typeof sess.getWebsocketHost === "function") {
        var h = sess.getWebsocketHost();
        if (typeof h === "string") return h + "/?token=";
      }
      secure = sess.secure === undefined || !!sess.secure; // KissJS's default, even on an http page
      if (typeof sess.host === "string") host = sess.host;
    } else {
      secure = loc.protocol === "https:";
    }
    if (!host) host = loc.host;
    var port = portOf(secure ? cfg.sslPort : cfg.port);
    if (port === undefined) port = secure ? 443 : 80;
    var named = host.charAt(0) === "[" ? host.indexOf("]:") >= 0 : host.split(":").length === 2;
    if (!named) {
      if (host.indexOf(":") >= 0 && host.charAt(0) !== "[") host = "[" + host + "]";
      host += ":" + port;
    }
    return (secure ? "wss://" : "ws://") + host + "/?token=";
  }

  // escapeQuery leaves only RFC 3986 unreserved characters.
  function escapeQuery(s) {
    return encodeURIComponent(s).replace(/[!'()*]/g, function (c) { return "%" + c.charCodeAt(0).toString(16).toUpperCase(); });
  }

  // ---- What the page shows of its login -------------------------------------

  // token is read at every attempt and never logged.
  function token() {
    var sess = k.session;
    if (sess && typeof sess.getToken === "function") {
      var t = sess.getToken();
      if (typeof t === "string") return t;
    }
    var v = stored("session-token");
    return typeof v === "string" ? v : "";
  }

  // facts: what the page shows of its login (core.Facts, which names the
  // session): reset() count, user id, token digest, our last refresh's link;
  // count and link in localStorage, for every tab.
  var RESETS = "kiss-websocket-resets", LINK = "kiss-websocket-refreshed";
  var resetsHere = 0; // when localStorage cannot keep the count
  I.linkHere = null; // likewise, the link
  function stored(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }
  function store(key, v) {
    try { localStorage.setItem(key, v); return true; } catch (e) { return false; }
  }
  function resets() {
    var n = parseInt(stored(RESETS), 10);
    return n >= 0 ? n : resetsHere;
  }
  // watchReset wraps kiss.session.reset() once to count it: each ends a session.
  function watchReset() {
    var sess = k.session;
    if (!sess || typeof sess !== "object" || typeof sess.reset !== "function" || sess.reset.kissWebsocketCounts) return;
    var reset = sess.reset;
    var counted = function () {
      resetsHere = resets() + 1;
      store(RESETS, String(resetsHere));
      return reset.apply(this, arguments);
    };
    counted.kissWebsocketCounts = true;
    try { sess.reset = counted; } catch (e) { /* a frozen session: not counted */ }
  }
  watchReset();
  function link() {
    try {
      var v = JSON.parse(stored(LINK));
      if (v && typeof v.token === "string" && typeof v.root === "string") return v;
    } catch (e) { /* none, or unreadable */ }
    return I.linkHere;
  }
  function userId() {
    var sess = k.session;
    if (!sess || typeof sess !== "object") return "";
    var u;
    try { u = typeof sess.getUserId === "function" ? sess.getUserId() : undefined; } catch (e) { /* then the stored one */ }
    if (typeof u !== "string") u = stored("session-userId");
    return typeof u === "string" ? u : "";
  }
  function facts() {
    watchReset();
    var t = token();
    return { resets: resets(), user: userId(), token: t === "" ? "" : hash(t), link: link() };
  }

  // hash: 64 bits of two FNV-style rounds; facts never hold the token.
  function hash(s) {
    var a = 0x811c9dc5, b = 0x2545f491;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 16777619);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    return (a >>> 0).toString(16) + "-" + (b >>> 0).toString(16);
  }

  // ---- Sockets --------------------------------------------------------------

  // record makes sock the socket of the moment (connection is the browser's
  // WebSocket itself, as in KissJS); Go knows it by this record.
  function record(sock) {
    var r = { ws: sock, opened: false, closed: null, adopted: false, announced: false,
      open: null, close: null, prev: ws.connection };
    sock.onopen = function () { r.opened = true; if (r.open) r.open(); else if (r === first) firstOpened(r); };
    sock.onclose = function (ev) { r.closed = ev; if (r.close) r.close(ev); else if (r === first) firstClosed(r, ev); };
    sock.onmessage = onFrame;
    S.ws = sock; S.recv = false; S.live = false; S.early = []; S.awaitPong = false; S.pong = null;
    r.unacked = S.unacked = []; r.owners = S.owners = [];
    ws.connection = sock;
    return r;
  }

  // ---- The first socket, before Go ------------------------------------------

  // openFirst: the page's first init() before Go, with KissJS's fields only:
  // the socket is made now and run here until Go adopts it. null: Go's.
  // What can throw runs before the socket (with the page's session, the
  // facts); without one, the facts' localStorage reads right after it.
  function openFirst(config) {
    var url, h, f, sess = k.session;
    try {
      if (!fastConfig(config)) return null;
      if (sess && typeof sess === "object") f = facts();
      url = socketURL(config, sess, location, token);
      h = config && typeof config === "object" ? { onopen: config.onopen, onmessage: config.onmessage, onclose: config.onclose } : {};
    } catch (e) {
      return null; // a getter threw: Go reads the config and says so
    }
    var r;
    try { r = record(new WebSocket(url)); } catch (e) { return null; } // a bad URL: Go reports it
    first = r;
    if (!f) f = facts();
    r.facts = f; r.key = JSON.stringify(f);
    I.hooks = h;
    var p = later("initWith", [config, r], true);
    r.entry = queue[queue.length - 1];
    return p;
  }

  // firstOpened: KissJS's open sequence. Sends made while it connected go
  // first, unless one was made in other facts (another login?): then all
  // wait for Go, which names sessions. Go adopts it as is (core.Announced).
  function firstOpened(r) {
    if (failure) return;
    r.announced = true;
    var i = queue.indexOf(r.entry) + 1, j = i;
    while (j > 0 && j < queue.length && queue[j][0] === "sendText" && queue[j][1][2] === r.key) j++;
    S.live = j === queue.length;
    if (S.live) {
      for (var n = i; n < j; n++) write(r.ws, queue[n][1][0]);
      queue.length = i;
    }
    S.recv = true;
    queue.push(["opened", [r]]);
    r.entry[2](true);
    publish("EVT_CONNECTED", undefined);
    hook("onopen");
    soon();
  }

  function firstClosed(r, ev) {
    S.live = false;
    if (failure) { ended(r); return; }
    queue.push(["closed", [r, ev]]);
    startGo(); // what the close means is Go's to decide
  }

  // The page's life while calls wait for Go (Go listens once it runs an
  // init): a resume from frozen, the network's going and coming, in order.
  function life(name) {
    return function () { if (initCalled && held() && !failure) queue.push(["page", [name]]); };
  }
  document.addEventListener("resume", life("resume"));
  window.addEventListener("online", life("online"));
  window.addEventListener("offline", life("offline"));

  // ---- Calls ----------------------------------------------------------------

  // held: calls wait for Go, behind the record; those made while it is
  // replayed (from a hook or subscriber) run at once, as they would have.
  var waiting = 0; // parts still loading that the queue waits for (shared mode)
  function held() {
    return !impl || waiting > 0 || (queue.length > 0 && !replaying);
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

  function asksShared(config) {
    try { return sharedAttr || !!config && config.shared === true; } catch (e) { return false; }
  }

  var api = {
    init: function (config) {
      if (k.context && k.context.ws === "no") return Promise.resolve(undefined);
      initCalled = true;
      inits++;
      watchReset();
      var sharing = asksShared(config);
      if (sharing) wantShared(true);
      if (!held()) return impl.init(config === undefined ? {} : config);
      // KissJS's rule 1 for the first socket, while this script runs it:
      // while it is connecting, open or closing, init returns early.
      if (first && !first.closed) return Promise.resolve(undefined);
      var p = !impl && inits === 1 && !failure && !sharing && openFirst(config);
      if (p) return p;
      startGo();
      return later("initWith", [config, null], true);
    },
    send: function (jsonData) {
      if (!initCalled) throw new Error(NO_INIT_SEND);
      var s = serialise(jsonData);
      var sock = S.ws;
      if (S.live && sock.readyState === 1) { write(sock, s); return; }
      if (held()) {
        var f = facts();
        later("sendText", [s, f, JSON.stringify(f)], false);
        // the first socket, still connecting, takes it when it opens
        if (!first || first.opened || first.closed) startGo();
        return;
      }
      var err = impl.send(s);
      if (err) throw err;
    },
    close: function () {
      if (!initCalled) throw new Error(NO_INIT_CLOSE);
      if (held()) {
        // As KissJS: the socket closes now (reset() reads readyState), also
        // on a second close(); Go, replaying it, makes no second call.
        var called = false;
        if (first && !first.closed && !failure) {
          called = true;
          S.live = false;
          try { first.ws.close(4003, "DEFINITIVE_CLOSE"); } catch (e) { /* closing */ }
        }
        startGo();
        return later("close", [called], true);
      }
      var out = impl.close();
      if (out instanceof Error) throw out;
      return out;
    },
    reconnect: function () {
      if (held()) { startGo(); return later("reconnect", [], false); }
      impl.reconnect();
    }
  };

  var resolveReady, rejectReady;
  var ready = new Promise(function (resolve, reject) { resolveReady = resolve; rejectReady = reject; });

  function earlyState() {
    if (!initCalled) return "idle";
    if (failure) return first ? "closed" : "idle";
    var sock = first && first.opened && !first.closed ? first.ws : null;
    return !sock ? "connecting" : sock.readyState === 1 ? "open" : "closing";
  }

  var ws = {
    connection: {},
    version: VERSION,
    ready: ready,
    init: api.init,
    send: api.send,
    close: api.close,
    reconnect: api.reconnect,
    stats: function () {
      if (!impl) return undefined;
      return impl.stats();
    },
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
    get: function () { return impl && !held() ? impl.state() : earlyState(); }
  });
  Object.defineProperty(ws, "_rules", { value: { url: socketURL, fast: fastConfig, strict: STRICT } });
  install(k);
  if (provisional) watchForKissJS();

  // ---- Loaded before KissJS ----------------------------------------------
  // The name kiss is looked up again after each script, before the next can
  // start the app: a MutationObserver while parsing (the parser runs
  // microtasks before each script), each script's load event, and
  // DOMContentLoaded.
  function named() {
    try {
      return typeof kiss === "object" && kiss !== null ? kiss : null;
    } catch (e) {
      return null; // declared by a script still running, not yet set
    }
  }

  var watcher = null;
  function watchForKissJS() {
    if (typeof MutationObserver === "function" && document.readyState === "loading") {
      watcher = new MutationObserver(function () { findKiss(); });
      watcher.observe(document, { childList: true, subtree: true });
      document.addEventListener("DOMContentLoaded", parsed);
    }
    document.addEventListener("load", findKiss, true);
  }

  // parsed: the load listener stays, for a KissJS added by code later.
  function parsed() {
    findKiss();
    if (watcher) { watcher.disconnect(); watcher = null; }
    document.removeEventListener("DOMContentLoaded", parsed);
  }

  function findKiss() {
    var found = provisional && named();
    if (!found || found === provisional) return;
    if (globalThis.kiss === provisional) delete globalThis.kiss;
    provisional = null;
    parsed();
    document.removeEventListener("load", findKiss, true);
    install(found);
  }

  // install puts kiss.websocket on kiss, unless KissJS's own client made its
  // socket already: it stays in charge (replacing it strands its socket).
  function install(kiss) {
    var theirs = kiss.websocket;
    if (theirs && theirs !== ws && !theirs.version && typeof WebSocket === "function" && theirs.connection instanceof WebSocket) {
      console.error("kiss.websocket: KissJS's own client opened its socket before kiss-websocket.js could replace it, " +
        "so KissJS's client stays in use. Load kiss-websocket.js before the script that calls kiss.app.init(), " +
        "and keep that call out of KissJS's own script.");
      return;
    }
    k = kiss;
    k.websocket = ws;
  }

  // ---- Loading Go -----------------------------------------------------------
  // Go (wasm, wasm_exec.js, kiss-websocket-go.js) loads after the page's load
  // event once the first socket opened or closed; at once when something
  // only Go can do waits; at the latest GO_LATEST ms after this script ran.
  var goStarted = false;
  function soon() {
    if (!goStarted && document.readyState === "complete" && !(first && !first.opened && !first.closed)) startGo();
  }
  if (document.readyState === "complete") setTimeout(soon, 0); // after an init() right behind this script
  else window.addEventListener("load", soon);
  setTimeout(startGo, GO_LATEST);

  function startGo() {
    if (goStarted || failure) return;
    goStarted = true;
    window.removeEventListener("load", soon);
    if (sharedWanted) fetchShared();
    var parts = [loadScript(base + "kiss-websocket-go.js")];
    if (typeof Go !== "function") parts.push(loadScript(base + "wasm_exec.js"));
    Promise.all([compile(), Promise.all(parts)]).then(function (r) { return I.run(r[0], I); }).catch(fail);
  }

  // Shared mode's file loads with Go once asked for (data-shared,
  // init({shared: true}), which starts Go); the queue waits for it.
  var sharedWanted = false, sharedFetch = null;
  function wantShared(now) {
    if (!sharedWanted) { sharedWanted = true; waiting++; }
    if (goStarted) fetchShared(); else if (now) startGo();
  }
  function fetchShared() {
    if (sharedFetch) return;
    sharedFetch = loadScript(base + "kiss-websocket-shared.js").then(function () {
      waiting--;
      if (impl) I.replay();
    }, fail);
  }
  if (sharedAttr) wantShared(false);

  // The other files call this as they run; another version is refused.
  globalThis.__kissWebsocketPart = function (version, setup) {
    if (version !== VERSION) throw new Error("kiss-websocket: a file of version " + version + " beside the loader of version " + VERSION);
    setup(I);
  };

  // blockedByCSP tells a compile refused by the page's Content-Security-Policy.
  function blockedByCSP(e) {
    return /Content Security Policy|unsafe-eval/.test(String(e && e.message));
  }

  // fail: Go will never run. ready and the waiting calls reject with why;
  // the first socket is closed (4003, as close()) and its end published as
  // KissJS publishes a definitive close (onclose, EVT_CONNECTION_CLOSED).
  function fail(e) {
    if (failure) return;
    var why = e && e.message ? e.message : String(e);
    if (blockedByCSP(e)) {
      why = "the page's Content-Security-Policy does not allow WebAssembly: add 'wasm-unsafe-eval' to its script-src directive (" + why + ")";
    }
    failure = new Error("kiss.websocket: failed to load " + wasmURL + ": " + why);
    rejectReady(failure);
    var q = queue;
    queue = [];
    for (var i = 0; i < q.length; i++) {
      var name = q[i][0];
      if (name === "opened" || name === "closed") continue;
      if (q[i][3]) q[i][3](failure); else warn(name + " lost: " + failure.message);
    }
    var r = first;
    if (!r) return;
    S.live = false;
    if (r.closed) ended(r);
    else if (r.ws.readyState < 2) try { r.ws.close(4003, "DEFINITIVE_CLOSE"); } catch (x) { /* closing */ }
  }

  function ended(r) {
    if (r.ended) return;
    r.ended = true;
    hook("onclose");
    publish("EVT_CONNECTION_CLOSED", undefined);
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement("script");
      el.src = src;
      el.fetchPriority = "low";
      el.onload = resolve;
      el.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(el);
    });
  }

  // compile, at low priority (the page's requests first); compileStreaming
  // lets Chromium keep the compiled code for the next visit (a 304 keeps it).
  function compile() {
    if (typeof WebAssembly !== "object") return Promise.reject(new Error("this browser has no WebAssembly"));
    var get = function () { return fetch(wasmURL, { priority: "low" }); };
    if (WebAssembly.compileStreaming) {
      return WebAssembly.compileStreaming(get()).catch(function (e) {
        if (blockedByCSP(e)) throw e; // a buffer would be refused the same way
        // wrong MIME type on some servers: fall back to a plain buffer
        return get().then(bytesOf).then(function (b) { return WebAssembly.compile(b); });
      });
    }
    return get().then(bytesOf).then(function (b) { return WebAssembly.compile(b); });
  }

  function bytesOf(r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.arrayBuffer();
  }

  // What the other files use of this one.
  I.warn = warn; I.publish = publish; I.hook = hook; I.track = track; I.utf8Length = utf8Length;
  I.token = token; I.facts = facts; I.hash = hash; I.stored = stored; I.store = store;
  I.record = record; I.fail = fail; I.ws = ws; I.publishFrame = publishFrame;
  I.kiss = function () { return k; };
  I.impl = function () { return impl; };
  I.ready = function (goImpl) {
    impl = goImpl;
    // The record is replayed once Go is done starting, at the top of the
    // stack: each call returns only once Go has acted on it.
    Promise.resolve().then(function () { I.replay(); resolveReady(); });
  };
  I.queue = function () { return queue; };
  I.held = function () { return waiting > 0 || failure; };
  I.replaying = function (on) { replaying = on; };
  I.adopt = function (r) { if (first === r) first = null; };
})();
