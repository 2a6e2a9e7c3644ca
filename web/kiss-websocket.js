/*
 * kiss-websocket loader: a drop-in kiss.websocket backed by Go/WebAssembly.
 *
 * A classic script, loaded before or after KissJS (or alone). KissJS
 * declares `const kiss` at top level, which is not `window.kiss`, so the
 * object is found by name. kiss.websocket is installed at once; calls made
 * before the wasm is ready are queued and replayed in order.
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

  // k is the page's kiss: KissJS's `const kiss`, found by name (see
  // named()), else window.kiss. Loaded before KissJS, this script finds
  // neither and makes a provisional window.kiss; findKiss() moves
  // kiss.websocket to KissJS's object once its script has run.
  var k = named();
  var provisional = null;
  if (!k) k = provisional = globalThis.kiss = {};
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
    relay: false, // leading a group with followers: copy each frame to them
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

  // dispatch publishes a frame in this tab, then, leading in shared mode,
  // copies it to the other tabs: this tab's own latency stays its own.
  function dispatch(ev) {
    var g = S.relay ? G : null;
    publishFrame(ev);
    if (g) relayFrame(g, ev.data);
  }

  function publishFrame(ev) {
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
  // The config is read here as Go's decoding reads it (core/fields.go), so
  // the socket made while the wasm loads is the one Go would make: a bad
  // socketUrl or port is the default, a string of digits is a port.
  function socketURL(cfg) {
    var u = cfg && cfg.socketUrl;
    var base = typeof u === "string" && /^(wss?|https?):\/\/[^\/?]/i.test(u) && !/[ \t\r\n]/.test(u) ? u : defaultBase(cfg || {});
    return /token=$/.test(base) ? base + escapeQuery(token()) : base;
  }

  // portOf is a port from 1 to 65535, given as a number or as a string of
  // digits (KissJS's callers pass the ports read back from localStorage), or
  // undefined for anything else: null, "", a value Go warns about.
  function portOf(v) {
    if (typeof v === "string" && /^[ \t\n\r\f\v]*\d+(\.\d+)?[ \t\n\r\f\v]*$/.test(v)) v = Number(v);
    return typeof v === "number" && v % 1 === 0 && v >= 1 && v <= 65535 ? v : undefined;
  }

  function defaultBase(cfg) {
    var sess = k.session, ports = portOf(cfg.port) !== undefined || portOf(cfg.sslPort) !== undefined;
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
    var port = portOf(secure ? cfg.sslPort : cfg.port);
    if (port === undefined) port = secure ? 443 : 80;
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
  function makeSocket(url, shared, session) {
    var g = null;
    if (wantsShared(shared)) g = groupFor(url, groupSession(session));
    else if (G) leaveGroup(G);
    var standin = !!g && g.role !== "leader";
    var sock = standin ? new StandIn(g, url) : new WebSocket(url);
    var r = { ws: sock, opened: false, closed: null, adopted: false,
      open: null, close: null, prev: ws.connection, standin: standin, shared: g, moved: false };
    if (g && !standin) g.sock = r;
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
    if (r.shared && r.shared.sock === r) leaderClosed(r.shared, r);
    if (S.ws !== sock) return;
    S.recv = false; S.live = false; S.early = []; S.pong = null; S.awaitPong = false; S.unacked = [];
  }

  // preOpen is init() while the wasm loads: the handshake overlaps the
  // download. It returns the record the queued init hands to Go, which
  // adopts that socket (in the session of the facts read with its token),
  // or closes it if it rejects the config; null when the URL is bad (Go
  // reports it). api.init does not call it while that socket is
  // connecting, open or closing.
  function preOpen(config) {
    var f = facts(); // the login whose token the socket carries
    try { S.pre = makeSocket(socketURL(config), !!config && config.shared === true); } catch (e) { S.pre = null; }
    if (S.pre) S.pre.facts = f;
    return S.pre;
  }

  // discard closes a socket made for an init() that was then rejected (or
  // never ran): nothing was sent on it, and connection is what it was before.
  function discard(r) {
    if (!r || r.adopted) return;
    r.adopted = true; // nobody's any more
    if (S.pre === r) S.pre = null;
    detach(r);
    if (r.ws.readyState < 2) try { r.ws.close(); } catch (e) { /* already closing */ }
    if (ws.connection === r.ws) ws.connection = r.prev;
    if (r.shared && r.shared === G) leaveGroup(G); // no client will use it
  }

  // What the page shows of its login, for Go, which names the session a
  // message is queued in and a socket is opened in (core.Facts; the rule
  // lives there only): the count of kiss.session.reset() calls, the KissJS
  // user id, a digest of the token, and the link our own last refresh left.
  // The count and the link are kept in localStorage, so every tab of the
  // profile agrees (shared mode groups tabs by session).
  var RESETS = "kiss-websocket-resets", LINK = "kiss-websocket-refreshed";
  var resetsHere = 0, linkHere = null; // when localStorage cannot keep them
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
  // watchReset counts every kiss.session.reset() (KissJS's logout, and its
  // answer to EVT_UNUSABLE_TOKEN, call it): each one ends the session. It
  // wraps the method once, as soon as kiss.session has one.
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
    return linkHere;
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

  // groupSession is the session a shared socket's group is for: the one Go
  // named, remembered with the facts it named it from, so that a tab whose
  // wasm is still loading joins its group; with facts Go never named, the
  // facts themselves, which no other session shares.
  var NAMED = "kiss-websocket-session";
  function groupSession(named) {
    var f = JSON.stringify(facts());
    if (typeof named === "string") {
      store(NAMED, JSON.stringify({ facts: f, session: named }));
      return named;
    }
    try {
      var v = JSON.parse(stored(NAMED));
      if (v && v.facts === f && typeof v.session === "string") return v.session;
    } catch (e) { /* none, or unreadable */ }
    return "facts " + f;
  }

  function later_(fn) { Promise.resolve().then(fn); }

  // ---- Shared mode: one socket for every tab ------------------------------
  //
  // Tabs of one origin that share a socket URL (token left out) and a
  // session form a group: a Web Lock elects the tab that holds the socket
  // (the browser releases it when that tab closes or crashes) and a
  // BroadcastChannel carries the rest. Every other tab's connection is a
  // StandIn whose frames and sends go through the leader. Go never knows:
  // to its client a StandIn is a socket, and a move of the socket is a close
  // with HANDOVER, which reconnects at once.
  //
  // Three kinds of channel. The group's (NAME) carries control messages,
  // objects {t, from, ...}: lead, bye (the leader resigns; next: who takes
  // over), join/hello (a StandIn asks, the leader answers with its socket's
  // state), open/close (of the leader's socket), part (a StandIn ended), vis
  // (a tab's visibility), want (a visible tab asks a hidden leader for the
  // lead). Each leader's own (NAME/LEADER) carries server frames, as text,
  // and its ack (a follower's frames written to the socket) and pong (to a
  // follower's heartbeat, answered by the leader itself): a StandIn listens
  // to its leader's only, so a leader that lost the lead unseen reaches no
  // one. Each leader's inbox (NAME/LEADER/in) gets the followers' send and
  // ping; only that leader listens to it.
  var HANDOVER = 4900;
  var sharedAttr = !!(script && script.hasAttribute("data-shared"));
  var canShare = typeof BroadcastChannel === "function" && typeof navigator === "object" &&
    !!navigator.locks && typeof navigator.locks.request === "function";
  var tab = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  var G = null; // the group this tab is in
  var noted = false;

  // wantsShared: init({shared: true}) or the script tag's data-shared; false
  // (one socket per tab, noted once) where the browser lacks the APIs.
  function wantsShared(asked) {
    if (!asked && !sharedAttr) return false;
    if (canShare) return true;
    if (!noted) {
      noted = true;
      if (typeof console !== "undefined") console.info("kiss.websocket: shared mode needs Web Locks and BroadcastChannel; this tab keeps its own socket");
    }
    return false;
  }

  // hash names a group without putting the token in a lock's name: 64 bits
  // of two FNV-style rounds. Members compare the full key before trusting
  // each other, so a collision joins no one to another session.
  function hash(s) {
    var a = 0x811c9dc5, b = 0x2545f491;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 16777619);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    return (a >>> 0).toString(16) + "-" + (b >>> 0).toString(16);
  }

  function groupFor(url, session) {
    var key = url.replace(/([?&]token=)[^&#]*/, "$1") + "\n" + session;
    if (G && G.key === key) return G;
    if (G) leaveGroup(G);
    var name = "kiss-websocket:" + hash(key);
    var g = G = { name: name, key: key, bc: new BroadcastChannel(name), role: "follower",
      held: 0, release: null, abort: null, leader: null, leaderHidden: false,
      followers: {}, nf: 0, sock: null, open: false, standin: null, leaving: false,
      relayedIn: 0, relayedOut: 0, takeovers: 0 };
    g.bc.onmessage = function (ev) { onGroup(g, ev); };
    listenPage(true);
    request(g, false);
    return g;
  }

  function post(g, m) {
    m.from = tab;
    try { g.bc.postMessage(m); } catch (e) { /* closed: the group is gone */ }
  }

  var reqs = 0;
  // request queues for the lead, or steals it from a leader that does not
  // answer. The callback holds the lock until release is called.
  function request(g, steal) {
    var id = ++reqs, opts = {};
    if (steal) {
      if (g.abort) { g.abort.abort(); g.abort = null; }
      opts.steal = true;
    } else {
      g.abort = new AbortController();
      opts.signal = g.abort.signal;
    }
    navigator.locks.request(g.name, opts, function () {
      if (G !== g || g.held) return undefined; // left meanwhile: let it go
      return new Promise(function (release) { g.held = id; lead(g, release); });
    }).then(null, function () {
      // aborted (we left, or stole), or stolen from us
      if (G === g && g.held === id) lostLead(g);
    });
  }

  function lead(g, release) {
    g.role = "leader"; g.release = release; g.abort = null;
    g.leader = tab; g.followers = {}; g.nf = 0; g.takeovers++; g.clientId = null;
    openLeaderChannels(g);
    post(g, { t: "lead", key: g.key, hidden: document.hidden });
    navigator.locks.query().then(function (snap) {
      var mine = (snap.held || []).filter(function (l) { return l.name === g.name; })[0];
      if (mine && g.role === "leader") g.clientId = mine.clientId;
    }, function () {});
    // Go reconnects, to this tab's own socket; one waiting between attempts
    // goes now, for every tab waits on it.
    if (g.standin) moveWhenDone(g.standin);
    else if (impl && impl.state() === "reconnecting") later_(function () { if (G === g && g.role === "leader") impl.reconnect(); });
  }

  // moveWhenDone moves a StandIn off its leader once that leader's bye has
  // come (on the leader's channel, behind its acks: what it wrote is then
  // confirmed and not resent), or after 500 ms for one that crashed.
  function moveWhenDone(s) {
    if (!s._leader || s._bye || s.readyState === 3) { moveStandIn(s); return; }
    setTimeout(function () { moveStandIn(s); }, 500);
  }

  function openLeaderChannels(g) {
    if (g.data) return;
    g.data = new BroadcastChannel(g.name + "/" + tab);
    g.inbox = new BroadcastChannel(g.name + "/" + tab + "/in");
    g.inbox.onmessage = function (ev) { onInbox(g, ev.data); };
  }

  function closeLeaderChannels(g) {
    if (!g.data) return;
    flushAcks(g);
    g.data.close(); g.inbox.close();
    g.data = null; g.inbox = null; g.stale = null; g.verifying = false; g.relayQ = null;
  }

  function onInbox(g, m) {
    if (!m || G !== g || g.role !== "leader") return;
    if (m.t === "ping") { // answered here, with the shared socket's own heartbeat round trip
      var st = impl && impl.stats();
      g.data.postMessage({ t: "pong", from: tab, to: m.from, rtt: st ? st.rtt : 0 });
      return;
    }
    if (m.t !== "send") return;
    // A batch that waited over a second was sent while this tab was stuck:
    // another tab may have taken the lead since and been given it. Write it
    // only once the lock manager, answering in order, has told this tab
    // whether it still leads (a steal's rejection comes first).
    if (g.verifying || Date.now() - m.at > 1000) {
      (g.stale || (g.stale = [])).push(m);
      if (!g.verifying) {
        g.verifying = true;
        // The snapshot names the lock's holder: this tab only if it still
        // is the client that took the lead (a steal's own notice may come
        // later, on another connection).
        var done = function (snap) {
          var q = g.stale || [];
          g.stale = null; g.verifying = false;
          if (G !== g || g.role !== "leader" || !g.held || !holds(g, snap)) return;
          for (var i = 0; i < q.length; i++) write(g, q[i]);
        };
        navigator.locks.query().then(done, function () { done(null); });
      }
      return;
    }
    write(g, m);
  }

  // write sends a follower's batch (seq, text, seq, text, ...) on the
  // socket it was sent for; any other socket, or none, and it is not
  // acknowledged: the follower hands it to its next socket.
  function holds(g, snap) {
    if (!snap || !g.clientId) return false;
    return (snap.held || []).some(function (l) { return l.name === g.name && l.clientId === g.clientId; });
  }

  function write(g, m) {
    var sock = g.sock && g.sock.ws, b = m.batch;
    if (!g.open || m.gen !== g.gen || !S.live || S.ws !== sock || sock.readyState !== 1) return;
    for (var i = 0; i + 1 < b.length; i += 2) track(sock, b[i + 1]);
    g.relayedOut += b.length / 2;
    // At once, not later: a tab stuck after writing must not leave the
    // follower thinking the batch unwritten (it would resend it elsewhere).
    g.data.postMessage({ t: "ack", from: tab, to: m.from, seq: b[b.length - 2] });
  }

  // lostLead: another tab stole the lock (this one was frozen or busy).
  function lostLead(g) {
    g.held = 0; g.release = null;
    if (g.role === "leader" || g.role === "yielding") {
      g.role = "follower";
      dropReal(g, null);
      bye(g, null);
    }
    closeLeaderChannels(g);
    request(g, false);
  }

  // dropReal hands the leader's socket over: Go hears a clean HANDOVER
  // (what the socket still buffers goes out before its close frame, so
  // nothing comes back to the outbox) and reconnects, to a StandIn; then
  // the socket closes, and then(), once the server has seen it go.
  function dropReal(g, then, quiet) {
    var r = g.sock;
    flushAcks(g); // what was written is confirmed before anything says the socket went
    g.sock = null; g.open = false; relay();
    if (!r || r.ws.readyState === 3) { if (then) then(); return; }
    if (then) r.ws.addEventListener("close", function () { then(); });
    var cb = r.close;
    r.moved = true;
    if (r.ws.readyState < 2) try { r.ws.close(1000, "HANDOVER"); } catch (e) { /* closing */ } // first: the server reads why
    if (cb && !r.closed && !quiet) cb({ code: HANDOVER, reason: "HANDOVER", wasClean: true });
  }

  // yieldTo hands the lead to the visible tab v: this tab's socket closes,
  // then v steals the lock. Should v not take it, this tab leads again.
  function yieldTo(g, v) {
    if (g.role !== "leader") return;
    g.role = "yielding";
    dropReal(g, function () {
      if (G !== g || g.role !== "yielding") return; // stolen meanwhile
      bye(g, v);
      setTimeout(function () {
        if (G !== g || g.role !== "yielding") return;
        g.role = "leader";
        post(g, { t: "lead", key: g.key, hidden: document.hidden });
        if (g.standin) moveStandIn(g.standin);
      }, 3000);
    });
  }

  // resign gives the lead up now (the page is going away or freezing): the
  // socket closes without waiting, then the lock goes to the next tab.
  function resign(g, quiet) {
    if (g.role !== "leader" && g.role !== "yielding") return;
    g.role = "follower"; // first: Go's next socket, whenever it asks, is a StandIn
    dropReal(g, null, quiet);
    bye(g, null); // the lock picks the next leader
    closeLeaderChannels(g);
    var release = g.release;
    g.held = 0; g.release = null;
    if (release) release();
  }

  // leaveGroup: this tab is done with the shared socket (its client ended,
  // or the page goes away: quiet, then Go is not told of the socket's end).
  function leaveGroup(g, quiet) {
    if (G === g) G = null;
    if (g.role === "leader" || g.role === "yielding") {
      resign(g, quiet);
    } else {
      post(g, { t: "part" });
    }
    if (g.abort) g.abort.abort();
    g.role = "gone"; g.held = -1; g.release = null; g.abort = null;
    try { g.bc.close(); } catch (e) { /* closed */ }
    relay();
    if (!G) listenPage(false);
  }

  function visibleFollower(g) {
    for (var id in g.followers) if (!g.followers[id].hidden) return id;
    return null;
  }

  // relay turns the per-frame copy to the other tabs on or off.
  function relay() {
    var g = G;
    S.relay = !!(g && g.role === "leader" && g.open && g.nf > 0 && g.data);
  }

  // relayFrame copies a server frame to the followers. A lone frame goes at
  // once; the frames that follow it before a timer turn go together, as one
  // array: a message between tabs costs far more than its size, so a burst
  // is relayed in a few.
  function relayFrame(g, d) {
    g.relayedIn++;
    if (g.relayQ) { g.relayQ.push(d); return; }
    g.relayQ = [d];
    if (g.cooling) return; // the timer posts it, with those that follow
    // After this task's own work (the promise reactions the frame set off
    // come first), then the next ones a timer turn later, together.
    queueMicrotask(function () {
      flushRelay(g);
      g.cooling = true;
      setTimeout(function () { g.cooling = false; flushRelay(g); }, 0);
    });
  }

  function flushRelay(g) {
    var q = g.relayQ;
    g.relayQ = null;
    if (q && q.length && g.data) g.data.postMessage(q.length === 1 ? q[0] : q);
  }

  // bye tells the followers this tab stops leading (next: whom it hands the
  // lead to): on its own channel, behind its acks and frames, for the tabs
  // it serves; on the group's, for the rest.
  function bye(g, next) {
    announce(g, { t: "bye", next: next });
    post(g, { t: "bye", next: next });
  }

  // announce tells this leader's followers, on its own channel: after the
  // frames and acks before it.
  function announce(g, m) {
    flushRelay(g);
    m.from = tab;
    if (g.data) g.data.postMessage(m);
  }

  function leaderClosed(g, r) {
    var ev = r.closed || (r.opened ? { code: 4000, reason: "SERVER_NOT_RESPONDING", wasClean: false }
      : { code: 1006, reason: "ABORTED", wasClean: false });
    g.sock = null; g.open = false; relay();
    if (r.moved || g.leaving) return; // bye follows: the lead moves, the socket stays
    // A 1006 with no reason may be a refused token: the leader checks (and
    // refreshes) it alone, or the tabs would race to spend the one refresh
    // token. Followers see a network failure and wait for its next socket.
    var reason = ev.code === 1006 && !ev.reason ? "REFUSED_OR_LOST" : ev.reason;
    flushAcks(g);
    announce(g, { t: "close", code: ev.code, reason: reason, wasClean: ev.wasClean });
  }

  function onGroup(g, ev) {
    var m = ev.data, s = g.standin;
    if (!m || typeof m !== "object" || G !== g) return;
    var leading = g.role === "leader";
    switch (m.t) {
      case "join":
        if (!leading || m.key !== g.key) return;
        if (!g.followers[m.from]) g.nf++;
        g.followers[m.from] = { hidden: !!m.hidden };
        relay();
        post(g, { t: "hello", to: m.from, key: g.key, open: g.open, hidden: document.hidden, info: info(g) });
        if (document.hidden && !m.hidden) yieldTo(g, m.from);
        return;
      case "part":
        if (g.followers[m.from]) { delete g.followers[m.from]; g.nf--; relay(); }
        return;
      case "vis":
        if (g.followers[m.from]) g.followers[m.from].hidden = !!m.hidden;
        if (m.from === g.leader) g.leaderHidden = !!m.hidden;
        if (leading && document.hidden && !m.hidden) yieldTo(g, m.from);
        return;
      case "want":
        if (leading && document.hidden) yieldTo(g, m.from);
        return;
      case "lead":
        if (m.key !== g.key) return;
        g.leader = m.from; g.leaderHidden = !!m.hidden;
        if (!s) return;
        if (s._leader && s._leader !== m.from) moveWhenDone(s);
        else if (!s._leader && s.readyState === 0) s._join();
        return;
      case "hello":
        if (m.to !== tab || m.key !== g.key || !s || s.readyState !== 0 || s._leader) return;
        g.leader = m.from; g.leaderHidden = !!m.hidden;
        s._bind(m.from, m.info);
        if (m.open) s._open(m.info);
        return;
      case "open":
        if (s && s._leader === m.from && s.readyState === 0) s._open(m.info);
        return;
      case "bye": // a StandIn it served hears it on its channel, after the acks
        if (g.leader === m.from) g.leader = null;
        if (m.next === tab && g.role === "follower") request(g, true);
        return;
    }
  }

  function info(g) {
    var w = g.sock && g.sock.ws;
    // not the url: it carries the token, and each tab has the same address
    return w ? { protocol: w.protocol, extensions: w.extensions, gen: g.gen } : null;
  }

  // flushAcks posts what the followers must hear before any news of the
  // socket: the frames still waiting to be relayed (acks go at once).
  function flushAcks(g) { flushRelay(g); }

  // moveStandIn ends a StandIn whose leader is gone or is now this tab: what
  // it had not seen acknowledged goes back to the outbox (unsent), and Go
  // reconnects at once.
  function moveStandIn(s) { s._closed(HANDOVER, "HANDOVER", false); }

  // The page's life: a leader going away, into the back/forward cache (a
  // held lock would keep the page out of it) or frozen gives the lead up
  // first; visibility moves the lead to a visible tab.
  var pageOn = false;
  function listenPage(on) {
    if (on === pageOn) return;
    pageOn = on;
    var f = on ? "addEventListener" : "removeEventListener";
    window[f]("pagehide", onPageHide);
    document[f]("freeze", onFreeze);
    document[f]("visibilitychange", onVisibility);
  }
  // The page is going away or into the cache: Go, if it acts, closes its own
  // socket (Suspend); only the lead and the socket go now.
  function onPageHide() { if (G) leaveGroup(G, true); }
  function onFreeze() {
    var g = G;
    if (g) resign(g);
    if (g && G === g && g.role === "follower" && !g.abort) request(g, false);
  }
  function onVisibility() {
    var g = G;
    if (!g) return;
    post(g, { t: "vis", hidden: document.hidden });
    if (g.role === "leader" && document.hidden) {
      var v = visibleFollower(g);
      if (v) yieldTo(g, v);
    } else if (g.role === "follower" && !document.hidden && g.leader && g.leaderHidden) {
      post(g, { t: "want" });
    }
  }

  // StandIn is a following tab's connection: a WebSocket's shape (state,
  // url, send, close, events) over the leader's socket. Frames it sends are
  // kept until the leader acknowledges them; pings are answered by the
  // leader, which runs the one heartbeat of the socket.
  var sendSeq = 0;

  class StandIn extends EventTarget {
    constructor(g, url) {
      super();
      this.url = url; this.protocol = ""; this.extensions = ""; this.binaryType = "blob";
      this.readyState = 0;
      this.onopen = null; this.onmessage = null; this.onclose = null; this.onerror = null;
      this._g = g; this._leader = null; this._pending = []; this._bytes = 0;
      this._n = {}; this._timer = 0; this._watch = 0; this._dc = null; this._in = null; this._early = [];
      this._out = null; this._gen = 0;
      g.standin = this;
      this._join();
    }
    get bufferedAmount() { return this._bytes; }
    addEventListener(type, fn, opts) {
      this._n[type] = (this._n[type] || 0) + 1;
      super.addEventListener(type, fn, opts);
    }
    send(data) {
      if (this.readyState === 0) throw new DOMException("Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.", "InvalidStateError");
      if (this.readyState !== 1) return;
      data = String(data);
      // A ping's answer is the heartbeat's to wait for (its own timeout);
      // frames are watched here.
      if (data === "ping") { this._in.postMessage({ t: "ping", from: tab }); return; }
      this._expect();
      var seq = ++sendSeq; // one counter for the tab: acks name the tab, not the StandIn
      this._pending.push({ seq: seq, data: data });
      this._bytes += utf8Length(data);
      // One message to the leader per task (a loop of send()s is one batch),
      // or per 256 frames: the leader acknowledges each batch as it writes
      // it, and a huge one would keep this tab waiting for that long.
      if (!this._out) {
        this._out = [];
        var self = this;
        queueMicrotask(function () { self._flush(); });
      }
      this._out.push(seq, data);
      if (this._out.length >= 512) this._flush();
    }
    _flush() {
      var out = this._out;
      this._out = out && out.length >= 512 ? [] : null; // a full batch: the task's microtask sends the rest
      // closed meanwhile: those frames went back to the outbox (unsent)
      if (out && out.length && this.readyState === 1 && this._in) {
        this._in.postMessage({ t: "send", from: tab, gen: this._gen, at: Date.now(), batch: out });
      }
    }
    // _expect watches for the leader's answer: none within 5 s means it is
    // stuck (frozen unseen, or busy), and this tab takes the lock over. Not
    // sooner: a leader may run a long task (a loop of 100k send()s takes
    // seconds on a slow machine), and its socket is alive meanwhile.
    _expect() {
      if (this._watch) return;
      var self = this, g = this._g;
      this._watch = setTimeout(function () {
        self._watch = 0;
        if (self.readyState === 1 && self._leader && G === g && g.role === "follower") request(g, true);
      }, 5000);
    }
    _heard() {
      clearTimeout(this._watch);
      this._watch = 0;
      if (this._pending.length) this._expect();
    }
    close(code, reason) {
      if (this.readyState >= 2) return;
      this.readyState = 2;
      var self = this;
      later_(function () { self._closed(code || 1005, reason || "", true); });
    }
    _join() {
      var self = this, g = this._g;
      post(g, { t: "join", key: g.key, hidden: document.hidden });
      clearTimeout(this._timer);
      // No answer: the leader is frozen or busy (the lock is held), so take
      // the lock over; the jitter keeps followers from stealing in turn.
      this._timer = setTimeout(function () {
        if (self.readyState !== 0 || self._leader || G !== g || g.role !== "follower") return;
        navigator.locks.query().then(function (q) {
          var held = (q.held || []).some(function (l) { return l.name === g.name; });
          if (held && self.readyState === 0 && !self._leader && G === g && g.role === "follower") request(g, true);
        }, function () {});
      }, 3000 + Math.random() * 1000);
    }
    _bind(leader, inf) {
      if (this._leader !== leader) {
        this._unbind();
        this._leader = leader;
        var self = this, name = this._g.name + "/" + leader;
        this._dc = new BroadcastChannel(name);
        this._dc.onmessage = function (ev) { self._data(ev); };
        this._in = new BroadcastChannel(name + "/in");
      }
      clearTimeout(this._timer);
      if (inf) { this.protocol = inf.protocol; this.extensions = inf.extensions; }
    }
    _open(inf) {
      if (inf) { this._bind(this._leader, inf); this._gen = inf.gen; }
      this.readyState = 1;
      this._fire("open", new Event("open"));
      var early = this._early;
      this._early = [];
      for (var i = 0; i < early.length && this.readyState === 1; i++) this._frame(early[i]);
    }
    _unbind() {
      if (this._dc) { this._dc.close(); this._in.close(); }
      this._dc = null; this._in = null;
      clearTimeout(this._watch);
      this._watch = 0;
    }
    // _data is the leader's channel: server frames (text) and answers to this tab.
    _data(ev) {
      var m = ev.data;
      if (typeof m === "string") {
        if (this.readyState === 0) { this._early.push(ev); return; } // bound, the open on its way
        if (this.readyState !== 1) return;
        if (this._watch) this._heard();
        this._frame(ev);
        return;
      }
      if (Array.isArray(m)) { // frames relayed together
        for (var i = 0; i < m.length; i++) {
          var one = hooks.onmessage || this._n.message ? new MessageEvent("message", { data: m[i] }) : { data: m[i] };
          if (this.readyState === 0) { this._early.push(one); continue; }
          if (this.readyState !== 1) return;
          if (this._watch) this._heard();
          this._frame(one);
        }
        return;
      }
      if (!m) return;
      switch (m.t) {
        case "open":
          if (this.readyState === 0) this._open(m.info);
          return;
        case "close":
          // What is still pending was never written (acks come first): the
          // outbox takes it back, as it would a single tab's unsent frames.
          this._closed(m.code, m.reason, m.wasClean && !this._pending.length);
          return;
        case "bye":
          this._bye = true;
          moveStandIn(this);
          return;
      }
      if (m.to !== tab) return;
      if (m.t === "ack") {
        var p = this._pending;
        while (p.length && p[0].seq <= m.seq) this._bytes -= utf8Length(p.shift().data);
        this._heard();
      } else if (m.t === "pong" && this.readyState === 1) {
        this._g.socketRtt = m.rtt;
        this._heard();
        this._frame({ data: "pong" });
      }
    }
    _frame(ev) {
      if (ev.data !== "pong") this._g.relayedIn++;
      if (this.onmessage) this.onmessage(ev);
      if (this._n.message) this.dispatchEvent(new MessageEvent("message", { data: ev.data }));
    }
    _unsent() {
      var out = [];
      for (var i = 0; i < this._pending.length; i++) out.push(this._pending[i].data);
      return out;
    }
    _closed(code, reason, wasClean) {
      if (this.readyState === 3) return;
      this.readyState = 3;
      clearTimeout(this._timer);
      this._unbind();
      var g = this._g;
      if (g.standin === this) g.standin = null;
      if (this._leader && code !== HANDOVER) post(g, { t: "part" });
      this._fire("close", new CloseEvent("close", { code: code, reason: reason, wasClean: wasClean }));
    }
    _fire(type, ev) {
      var h = this["on" + type];
      if (typeof h === "function") {
        try { h.call(this, ev); } catch (e) { warn("on" + type + " threw: " + (e && e.message)); }
      }
      if (this._n[type]) this.dispatchEvent(ev);
    }
  }
  StandIn.prototype.CONNECTING = 0; StandIn.prototype.OPEN = 1;
  StandIn.prototype.CLOSING = 2; StandIn.prototype.CLOSED = 3;

  // rt is what Go calls; it never sees frames. A socket is passed as the
  // record open() returned.
  var rt = {
    url: socketURL,
    token: token,
    // open adopts the socket init() made before the wasm was ready, or makes
    // one; what it already went through reaches Go after this call returns.
    open: function (url, onOpen, onClose, onPong, pre, shared, session) {
      var r = pre && !pre.adopted ? pre : makeSocket(url, shared, session);
      r.adopted = true;
      if (S.pre === r) S.pre = null;
      r.open = onOpen; r.close = onClose;
      if (S.ws === r.ws) S.pong = onPong;
      if (r.opened) later_(function () { if (r.open) r.open(); });
      if (r.closed) later_(function () { if (r.close) r.close(r.closed); });
      return r;
    },
    discard: discard,
    facts: facts,
    // link keeps what Go's refresh decided (core.Link) for every tab.
    link: function (token, root) {
      linkHere = { token: token, root: root };
      store(LINK, JSON.stringify(linkHere));
    },
    live: function (r) {
      if (S.ws !== r.ws) return;
      S.recv = true; S.live = true;
      var g = r.shared;
      if (g && G === g && g.sock === r) { // leading: the followers' socket is open now
        g.open = true;
        g.gen = (g.gen || 0) + 1; // a follower's frames are written on the socket it opened on only
        // On its channel, ahead of the frames; on the group's for a StandIn
        // that bound after that was posted (it keeps the frames till then).
        announce(g, { t: "open", info: info(g) });
        post(g, { t: "open", info: info(g) });
        relay();
      }
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
      if (r.standin) return r.ws._unsent();
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
      if (G && (name === "EVT_CONNECTION_CLOSED" || name === "EVT_CONNECTION_LOST" || name === "EVT_UNUSABLE_TOKEN")) leaveGroup(G);
      if (name === "close") {
        hook("onclose");
        // a client that stopped without an event (reconnection off) leaves too
        if (G) later_(function () { if (G && impl && impl.state() === "closed") leaveGroup(G); });
        return;
      }
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
      watchReset();
      if (!impl) {
        // KissJS's rule 1, for the one socket there is before Go: while it
        // is connecting, open or closing (a close() right before), init
        // returns early at once and opens nothing.
        if (!failure && S.pre && !S.pre.closed) return Promise.resolve(undefined);
        return later("initWith", [config, failure ? null : preOpen(config)], true);
      }
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
      if (!impl) { later("sendText", [s, facts()], false); return; }
      var err = impl.send(s);
      if (err) throw err;
    },
    // sendText replays a send made while the wasm loaded, in the session
    // its facts name.
    sendText: function (s, f) {
      var err = impl.send(s, f);
      if (err) throw err;
    },
    initWith: function (config, pre) {
      return impl.init(config === undefined ? {} : config, pre);
    },
    close: function () {
      if (!initCalled) throw new Error(NO_INIT_CLOSE);
      if (G) G.leaving = true; // this tab is done: the lead moves, the socket stays for the others
      if (!impl) {
        // As KissJS: the socket starts closing now (kiss.session.reset()
        // reads its readyState); Go sees the close when it adopts it.
        // Every close() makes the call, also a second one while closing
        // (logout() then reset()), as KissJS's; Go, replaying it, does not
        // make it again (closeCalled).
        if (S.pre && !S.pre.closed) try { S.pre.ws.close(4003, "DEFINITIVE_CLOSE"); } catch (e) { /* closing */ }
        return later("closeCalled", [], true);
      }
      var out = impl.close();
      if (out instanceof Error) throw out;
      return out;
    },
    // closeCalled replays a close() made while the wasm loaded.
    closeCalled: function () {
      var out = impl.close(true);
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
    stats: function () {
      if (!impl) return undefined;
      var st = impl.stats(), g = G;
      st.shared = g ? { role: g.role === "leader" ? "leader" : "follower", tabs: g.role === "leader" ? g.nf + 1 : undefined,
        socketRtt: g.role === "leader" ? st.rtt : g.socketRtt || 0,
        relayedIn: g.relayedIn, relayedOut: g.relayedOut, takeovers: g.takeovers } : null;
      return st;
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
    get: function () { return impl ? impl.state() : (initCalled ? "connecting" : "idle"); }
  });
  install(k);
  if (provisional) watchForKissJS();

  // ---- Loaded before KissJS ----------------------------------------------
  //
  // KissJS's `const kiss` is a global lexical binding: once its script ran,
  // the name kiss means KissJS's object here too, while window.kiss (which
  // it shadows) is still the provisional one. The name is looked up again
  // after each script and before the next can start the app (kiss.app.init
  // -> kiss.session.restore() -> kiss.websocket.init):
  // - while the page is parsed, a MutationObserver: the parser runs the
  //   microtasks before each script it meets, and inserting that script
  //   was a mutation;
  // - each external script's load event, right after it ran (defer, async,
  //   added by code);
  // - DOMContentLoaded.
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

  // parsed: no more parser-inserted scripts; the load listener stays, for
  // a KissJS added by code later.
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

  // install puts kiss.websocket on kiss, unless KissJS's own client has
  // already made its socket there (the app was started in KissJS's own
  // script, or before this one): that client then stays in charge, as
  // replacing it would strand its socket, and the console says what to do.
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

  // blockedByCSP tells a compile refused by the page's Content-Security-Policy.
  function blockedByCSP(e) {
    return /Content Security Policy|unsafe-eval/.test(String(e && e.message));
  }

  function fail(e) {
    if (G) leaveGroup(G, true); // the wasm will never run: lead no one
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
      // Go reads kiss through this view, which follows k: KissJS's kiss
      // may be found after Go started (loaded before KissJS).
      var view = new Proxy({}, { get: function (_, name) { return k[name]; } });
      globalThis.__kissWebsocketBoot = { kiss: view, rt: rt };
      return WebAssembly.instantiate(r[0], go.importObject).then(function (instance) {
        go.run(instance).then(function () {
          if (!impl) fail(new Error("the Go program exited"));
        }, fail);
      });
    })
    .catch(fail);
})();
