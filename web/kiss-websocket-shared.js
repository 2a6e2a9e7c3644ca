/*
 * kiss-websocket, shared mode: one socket for every tab of a session.
 * kiss-websocket.js loads it with Go when the page asks for shared mode
 * (data-shared, or init({shared: true})); a page never loads it by hand.
 */
__kissWebsocketPart("0.1.0", function (I) {
  "use strict";

  var S = I.S, warn = I.warn, track = I.track, utf8Length = I.utf8Length, hash = I.hash;
  var facts = I.facts, store = I.store, stored = I.stored;

  function later_(fn) { Promise.resolve().then(fn); }

  // groupSession is the session a shared socket's group is for: the one Go
  // named, remembered with the facts it named it from; with facts Go never
  // named, the facts themselves, which no other session shares.
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
  var canShare = typeof BroadcastChannel === "function" && typeof navigator === "object" &&
    !!navigator.locks && typeof navigator.locks.request === "function";
  var tab = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  var G = null; // the group this tab is in
  var noted = false;

  // wantsShared: init({shared: true}) or the script tag's data-shared; false
  // (one socket per tab, noted once) where the browser lacks the APIs.
  function wantsShared(asked) {
    if (!asked && !I.sharedAttr) return false;
    if (canShare) return true;
    if (!noted) {
      noted = true;
      if (typeof console !== "undefined") console.info("kiss.websocket: shared mode needs Web Locks and BroadcastChannel; this tab keeps its own socket");
    }
    return false;
  }

  // A group is named by a hash of its key, which holds no token: members
  // compare the full key before trusting each other, so a collision joins
  // no one to another session.
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
    else if (I.impl() && I.impl().state() === "reconnecting") later_(function () { if (G === g && g.role === "leader") I.impl().reconnect(); });
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
      var st = I.impl() && I.impl().stats();
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
          var one = I.hooks.onmessage || this._n.message ? new MessageEvent("message", { data: m[i] }) : { data: m[i] };
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

  I.relayFrame = function (d) { if (G) relayFrame(G, d); };

  // What the rest of the loader calls.
  I.shared = {
    // socket is the shared socket for Go's next attempt: this tab's own
    // WebSocket when it leads, else a StandIn; null when not shared (this
    // tab then leaves its group).
    socket: function (url, shared, session) {
      var g = null;
      if (wantsShared(shared)) g = groupFor(url, groupSession(session));
      else if (G) leaveGroup(G);
      if (!g) return null;
      var standin = g.role !== "leader";
      var r = I.record(standin ? new StandIn(g, url) : new WebSocket(url), g, standin);
      if (!standin) g.sock = r;
      return r;
    },
    live: function (r) {
      var g = r.shared;
      if (G !== g || g.sock !== r) return;
      // leading: the followers' socket is open now
      g.open = true;
      g.gen = (g.gen || 0) + 1; // a follower's frames are written on the socket it opened on only
      // On its channel, ahead of the frames; on the group's for a StandIn
      // that bound after that was posted (it keeps the frames till then).
      announce(g, { t: "open", info: info(g) });
      post(g, { t: "open", info: info(g) });
      relay();
    },
    detached: function (r) { if (r.shared.sock === r) leaderClosed(r.shared, r); },
    discarded: function (r) { if (r.shared === G) leaveGroup(G); }, // no client will use it
    leaving: function () { if (G) G.leaving = true; },
    failed: function () { if (G) leaveGroup(G, true); },
    emitted: function (name) {
      if (!G) return;
      if (name === "EVT_CONNECTION_CLOSED" || name === "EVT_CONNECTION_LOST" || name === "EVT_UNUSABLE_TOKEN") leaveGroup(G);
      // a client that stopped without an event (reconnection off) leaves too
      else if (name === "close") later_(function () { if (G && I.impl() && I.impl().state() === "closed") leaveGroup(G); });
    },
    stats: function (st) {
      var g = G;
      return g ? { role: g.role === "leader" ? "leader" : "follower", tabs: g.role === "leader" ? g.nf + 1 : undefined,
        socketRtt: g.role === "leader" ? st.rtt : g.socketRtt || 0,
        relayedIn: g.relayedIn, relayedOut: g.relayedOut, takeovers: g.takeovers } : null;
    }
  };
});
