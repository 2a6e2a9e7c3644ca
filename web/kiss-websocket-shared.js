/*
 * kiss-websocket, shared mode: one socket for every tab of a session.
 * kiss-websocket.js loads it with Go when the page asks for shared mode
 * (data-shared, or init({shared: true})); a page never loads it by hand.
 *
 * It decides nothing. Go's core.Group decides who leads, what to post,
 * when to lock, steal, hand over or resend; this file executes: it posts
 * and listens on BroadcastChannels, asks Web Locks, runs timers, shows a
 * following tab's connection (a stand-in with a WebSocket's shape), and
 * hands Go what happened in one call per task. Two paths stay here by
 * rules Go set: a leader copies each server frame to its followers' channel
 * (relay), and a follower publishes the frames relayed on the channel Go
 * named (source); Go sees none of them.
 */
__kissWebsocketPart("0.1.0", function (I) {
  "use strict";

  var S = I.S;
  var canShare = typeof BroadcastChannel === "function" && typeof navigator === "object" &&
    !!navigator.locks && typeof navigator.locks.request === "function";
  var noted = false;
  S.relayedIn = 0;

  // What happened, for Go: a flat list of entries (a kind, its arguments),
  // handed over once per task.
  var toGo = null, events = [], due = false;
  function tell() {
    for (var i = 0; i < arguments.length; i++) events.push(arguments[i]);
    if (due) return;
    due = true;
    queueMicrotask(function () {
      due = false;
      var q = events;
      events = [];
      if (toGo && q.length) toGo(q);
    });
  }

  // Channels by name: one object each, for posting and listening, so a tab
  // never hears its own posts.
  var chans = {};
  function chan(name) {
    var c = chans[name];
    if (!c) {
      c = chans[name] = { bc: new BroadcastChannel(name), on: false };
      c.bc.onmessage = function (ev) { heard(name, c, ev.data); };
    }
    return c;
  }
  function heard(name, c, d) {
    if (!c.on) return;
    if (typeof d === "string") {
      if (!lead || !writeBatch(name, d)) tell("m", name, d);
      return;
    }
    // frames relayed by a leader: the stand-in's, if Go bound it there
    var r = source.rec;
    if (!Array.isArray(d) || name !== source.name || !r || S.ws !== r.ws || r.ws.readyState > 1) return;
    for (var i = 0; i < d.length; i++) {
      S.relayedIn++;
      r.ws._frame(d[i]);
    }
  }
  var source = { name: "", rec: null };

  // The leader's write by Go's rule (lead): a follower's fresh batch for
  // this socket is written and acknowledged here, then Go is told; any
  // other message, or any while Go has something to hear first, goes to
  // Go. The message is core.EncodeMsg's: fields in order, each a length,
  // a colon and the text; only ASCII ones are read here (their lengths
  // count UTF-16 units as they count bytes).
  var lead = null, nonASCII = /[^\x00-\x7f]/;
  function writeBatch(name, d) {
    var L = lead, ws = L.rec.ws;
    if (name !== L.inbox || events.length || ws.readyState !== 1 || S.ws !== ws || nonASCII.test(d)) return false;
    var p = 0;
    function next() {
      var c = d.indexOf(":", p), n = c < 0 ? NaN : +d.slice(p, c);
      if (!(n >= 0) || c + 1 + n > d.length) return null;
      p = c + 1 + n;
      return d.slice(c + 1, p);
    }
    if (next() !== L.send) return false;
    var from = next();
    for (var i = 0; i < 9; i++) next(); // To ... Next
    var gen = next(), at = next(), seq = next(), n = +next();
    if (from === null || gen !== L.gen || at === null || seq === null || !(n > 0) ||
      Date.now() - +at.slice(0, -6) > L.stale) return false;
    var frames = [];
    for (i = 0; i < n; i++) {
      var f = next();
      if (f === null) return false;
      frames.push(f);
    }
    for (i = 0; i < n; i++) I.track(ws, frames[i], from);
    sh.post(L.data, L.a + from.length + ":" + from + L.b + num(+seq + n - 1) + L.c);
    tell("W", L.conn, n);
    return true;
  }

  // The leader's relay: a lone frame goes at once; those that follow it
  // before a timer turn go together, as one array (a message between tabs
  // costs far more than its size).
  var relay = { name: "", q: null, cooling: false };
  I.relayFrame = function (d) {
    if (!relay.name) return;
    if (relay.q) { relay.q.push(d); return; }
    relay.q = [d];
    if (relay.cooling) return;
    queueMicrotask(function () {
      flushRelay();
      relay.cooling = true;
      setTimeout(function () { relay.cooling = false; flushRelay(); }, 0);
    });
  };
  function flushRelay() {
    var q = relay.q;
    relay.q = null;
    if (q && q.length && relay.name) chan(relay.name).bc.postMessage(q);
  }

  var locks = {}; // request id: {abort, release, released}
  var timers = [];

  // StandIn is a following tab's connection: a WebSocket's shape over the
  // leader's socket. Go opens and closes it; its frames come from the
  // channel Go named; what the page sends on it goes to Go once per task.
  class StandIn extends EventTarget {
    constructor(url, conn) {
      super();
      this.url = url; this.protocol = ""; this.extensions = ""; this.binaryType = "blob";
      this.readyState = 0;
      this.onopen = null; this.onmessage = null; this.onclose = null; this.onerror = null;
      this._conn = conn; this._n = {}; this._out = null; this._buffered = 0; this._fast = null;
    }
    get bufferedAmount() { return this._buffered; }
    addEventListener(type, fn, opts) {
      this._n[type] = (this._n[type] || 0) + 1;
      super.addEventListener(type, fn, opts);
    }
    send(data) {
      if (this.readyState === 0) throw new DOMException("Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.", "InvalidStateError");
      if (this.readyState !== 1) return;
      if (!this._out) {
        this._out = [];
        var self = this;
        queueMicrotask(function () { self._flush(); });
      }
      this._out.push(String(data));
    }
    // _flush hands Go the task's sends; under Go's rule (fast) it posts
    // them to the leader first, numbered on from where Go said, so they
    // reach the leader without waiting for Go.
    _flush() {
      var out = this._out, f = this._fast;
      this._out = null;
      if (!out || !out.length || !toGo) return;
      if (!f || this.readyState !== 1) { toGo(["s", this._conn, out]); return; }
      var first = f.seq;
      for (var i = 0; i < out.length; i += f.max) {
        var part = out.length <= f.max ? out : out.slice(i, i + f.max);
        sh.post(f.inbox, f.head + sendBody(part, f.seq) + f.tail);
        f.seq += part.length;
      }
      toGo(["S", this._conn, first, out]);
    }
    close(code, reason) {
      if (this.readyState > 1) return;
      this._flush();
      if (S.ws === this) S.live = false;
      if (toGo) toGo(["c", this._conn, code || 1005, reason || ""]);
    }
    _frame(d) {
      var ev = I.hooks.onmessage || this._n.message ? new MessageEvent("message", { data: d }) : { data: d };
      if (this.onmessage) this.onmessage(ev);
      if (this._n.message) this.dispatchEvent(new MessageEvent("message", { data: d }));
    }
    _fire(type, ev) {
      var h = this["on" + type];
      if (typeof h === "function") {
        try { h.call(this, ev); } catch (e) { I.warn("on" + type + " threw: " + (e && e.message)); }
      }
      if (this._n[type]) this.dispatchEvent(ev);
    }
  }
  // sendBody is a MsgSend's At (ns), Seq and Frames as core.EncodeMsg
  // writes them, between the head and tail of core.SendParts: each number
  // as its digits' count, a colon and its digits; each frame as its UTF-8
  // length, a colon and its text.
  function num(v) { v = String(v); return v.length + ":" + v; }
  function sendBody(frames, seq) {
    var b = num(Date.now() + "000000") + num(seq) + num(frames.length);
    for (var i = 0; i < frames.length; i++) b += I.utf8Length(frames[i]) + ":" + frames[i];
    return b;
  }

  StandIn.prototype.CONNECTING = 0; StandIn.prototype.OPEN = 1;
  StandIn.prototype.CLOSING = 2; StandIn.prototype.CLOSED = 3;

  function quiet(r) {
    if (S.ws !== r.ws) return;
    S.recv = false; S.live = false; S.early = [];
  }

  // sh is what Go calls (wasm/loader.go's sh* methods).
  var sh = {
    start: function (fn) { toGo = fn; },
    standin: function (url, conn) { return I.record(new StandIn(url, conn)); },
    source: function (name, r) { source.name = name; source.rec = r || null; },
    pending: function (r, n) { r.ws._buffered = n; },
    // Go's rules, a line per part ("": none)
    fast: function (r, rule) {
      var f = rule.split("\n");
      r.ws._fast = rule ? { inbox: f[0], head: f[1], tail: f[2], seq: +f[3], max: +f[4] } : null;
    },
    lead: function (r, rule) {
      var f = rule.split("\n");
      lead = rule ? { rec: r, inbox: f[0], data: f[1], gen: f[2], stale: +f[3], send: f[4], a: f[5], b: f[6], c: f[7], conn: +f[8] } : null;
    },
    opened: function (r, protocol, extensions) {
      var s = r.ws;
      if (s.readyState !== 0) return;
      s.protocol = protocol; s.extensions = extensions; s.readyState = 1;
      s._fire("open", new Event("open"));
    },
    closed: function (r, code, reason, wasClean) {
      var s = r.ws;
      if (s.readyState === 3) return;
      s.readyState = 3; s._fast = null;
      if (source.rec === r) source.rec = null;
      quiet(r);
      s._fire("close", new CloseEvent("close", { code: code, reason: reason, wasClean: wasClean }));
    },
    closing: function (r) {
      r.ws._flush(); // what the page sent so far goes first
      if (S.ws === r.ws) S.live = false;
    },
    quiet: function (r) { r.ws.onmessage = null; quiet(r); },
    write: function (r, frames, owner) {
      for (var i = 0; i < frames.length; i++) I.track(r.ws, frames[i], owner);
    },
    close: function (r, code, reason) {
      if (S.ws === r.ws) S.live = false;
      if (r.ws.readyState < 2) try { r.ws.close(code, reason); } catch (e) { /* closing */ }
    },
    // left: what the socket still buffered at its end (pings left out), and whose
    left: function (r) {
      var out = { frames: [], owners: [] }, left = r.ws.bufferedAmount;
      for (var i = r.unacked.length - 1; i >= 0 && left > 0; i--) {
        var s = r.unacked[i];
        left -= I.utf8Length(s);
        if (s === "ping") continue;
        out.frames.unshift(s);
        out.owners.unshift(r.owners[i] || "");
      }
      return out;
    },
    relay: function (on, name, r) {
      flushRelay();
      relay.name = on ? name : "";
      S.relay = on && !!r && S.ws === r.ws;
    },
    listen: function (name, on) {
      if (on) { chan(name).on = true; return; }
      var c = chans[name];
      if (!c) return;
      delete chans[name];
      try { c.bc.close(); } catch (e) { /* closed */ }
    },
    post: function (name, msg) {
      if (name === relay.name) flushRelay(); // the frames before it go first
      try { chan(name).bc.postMessage(msg); } catch (e) { /* closed */ }
    },
    lock: function (name, req, steal) {
      var l = locks[req] = {}, opts = {};
      if (steal) opts.steal = true;
      else { l.abort = new AbortController(); opts.signal = l.abort.signal; }
      navigator.locks.request(name, opts, function () {
        tell("g", req);
        return new Promise(function (release) { l.release = release; if (l.released) release(); });
      }).then(function () { delete locks[req]; }, function () {
        delete locks[req]; // aborted, or stolen
        tell("f", req);
      });
    },
    abortLock: function (req) { var l = locks[req]; if (l && l.abort) l.abort.abort(); },
    release: function (req) {
      var l = locks[req];
      if (!l) return;
      l.released = true;
      if (l.release) l.release();
    },
    query: function (name, req) {
      navigator.locks.query().then(function (snap) {
        var h = (snap.held || []).filter(function (l) { return l.name === name; })[0];
        tell("q", req, h ? h.clientId : "");
      }, function () { tell("q", req, ""); });
    },
    timer: function (slot, req, ms) {
      clearTimeout(timers[slot]);
      timers[slot] = setTimeout(function () { timers[slot] = 0; tell("t", slot, req); }, ms);
    },
    stop: function (slot) { clearTimeout(timers[slot]); timers[slot] = 0; }
  };

  // wants: shared mode asked for (init({shared: true}) or data-shared) and
  // possible; else null (one socket per tab, noted once).
  I.sh = {
    wants: function (asked) {
      if (!asked && !I.sharedAttr) return null;
      if (canShare) return sh;
      if (!noted) {
        noted = true;
        if (typeof console !== "undefined") console.info("kiss.websocket: shared mode needs Web Locks and BroadcastChannel; this tab keeps its own socket");
      }
      return null;
    }
  };
});
