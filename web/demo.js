/*
 * The demo page: logs in as the dev user, starts kiss.websocket and shows
 * everything it does. No framework; it talks only to the dev server.
 */
(function () {
  "use strict";

  var ws = window.kiss.websocket;
  var TIMELINE_MAX = 200;
  var CHANNEL_MAX = 20; // messages kept per channel
  var SAMPLES_MAX = 40; // points per chart
  var EVENTS = ["EVT_CONNECTED", "EVT_RECONNECTED", "EVT_DISCONNECTED", "EVT_RECONNECTING",
    "EVT_CONNECTION_LOST", "EVT_CONNECTION_CLOSED", "EVT_UNUSABLE_TOKEN", "EVT_SERVER_GONE"];
  var ENDS = { EVT_CONNECTION_LOST: "lost", EVT_UNUSABLE_TOKEN: "lost", EVT_CONNECTION_CLOSED: "closed" };

  var tab = Math.random().toString(36).slice(2, 6).toUpperCase();
  var $ = function (id) { return document.getElementById(id); };

  var ui = {
    status: $("status"), label: $("badge-label"), detail: $("badge-detail"),
    alert: $("page-alert"), timeline: $("timeline"),
    sendText: $("send-text"), sendError: $("send-error"),
    chanName: $("chan-name"), chanError: $("chan-error"), channels: $("channels"),
    serverResult: $("server-result"), clientResult: $("client-result"),
    controlsOff: $("controls-off"), sockets: $("server-sockets"),
    rtt: $("chart-rtt"), delay: $("chart-delay")
  };

  // What the page knows beyond stats(): how the client last stopped, the
  // samples for the charts, and the counters used to tell heartbeat frames
  // from the page's own.
  var st = {
    ended: null, // "lost" or "closed" after the client stopped for good
    wait: null, // {key, delay, since} of the reconnection wait shown
    rtts: [], delays: [],
    prev: null, // previous stats() snapshot
    seenIn: 0, sentByPage: 0, // since the previous snapshot
    lastEntry: 0,
    token: null,
    controls: true,
    offline: false,
    stalled: false,
    channels: {} // name -> {fn, count, list, countEl}
  };

  var config = {
    heartbeat: { delay: 2000, timeout: 5000 },
    reconnection: { delay: 1000, delta: 1, factor: 1.5, maxDelay: 10000 },
    onopen: function () { log("hook", "onopen()"); },
    onclose: function () {
      var s = ws.stats();
      log("hook", "onclose()" + (s ? " " + describeClose(s) : ""));
    },
    onmessage: function (ev) {
      st.seenIn++;
      log("in", "onmessage ← " + clip(String(ev.data), 160));
    }
  };

  // ---------------------------------------------------------------- timeline

  function clock(t) {
    var d = new Date(t);
    return pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2) + ":" + pad(d.getSeconds(), 2) + "." + pad(d.getMilliseconds(), 3);
  }

  function pad(n, w) { n = String(n); while (n.length < w) n = "0" + n; return n; }

  function since(ms) {
    if (ms < 1000) return "+" + Math.round(ms) + " ms";
    if (ms < 60000) return "+" + (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
    return "+" + Math.round(ms / 60000) + " min";
  }

  function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }

  // log adds a timeline row: kind is evt, hook, in, out, beat, wait, ctl or err.
  function log(kind, text) {
    var now = Date.now();
    var li = document.createElement("li");
    li.className = "row row-" + kind;
    var t = document.createElement("time");
    t.dateTime = new Date(now).toISOString();
    t.textContent = clock(now);
    var d = document.createElement("span");
    d.className = "delta";
    d.textContent = st.lastEntry ? since(now - st.lastEntry) : "";
    var k = document.createElement("span");
    k.className = "k k-" + kind;
    k.textContent = kind;
    var m = document.createElement("span");
    m.className = "msg";
    m.textContent = text;
    li.append(t, d, k, m);
    ui.timeline.prepend(li);
    while (ui.timeline.childElementCount > TIMELINE_MAX) ui.timeline.lastElementChild.remove();
    st.lastEntry = now;
  }

  function describeClose(s) {
    if (!s.lastCloseCode) return "";
    return "close " + s.lastCloseCode + (s.lastCloseReason ? " " + s.lastCloseReason : "") +
      (s.lastCloseClean ? ", clean" : ", not clean");
  }

  function errText(e) {
    if (e && e.name && e.message) return e.name + ": " + e.message;
    return String(e && e.message ? e.message : e);
  }

  // -------------------------------------------------------------- status

  function badge(s) {
    var state = ws.state;
    var label = state, detail = "", tone = state;
    switch (state) {
      case "idle": label = "starting"; break;
      case "connecting":
        if (s && s.attempt > 0) detail = " (attempt " + (s.attempt + 1) + ")";
        break;
      case "reconnecting":
        if (s && s.nextDelay > 0 && st.wait) {
          var left = Math.max(0, st.wait.delay - (Date.now() - st.wait.since));
          detail = " in " + Math.ceil(left / 1000) + " s";
        } else {
          detail = " (checking the token)";
        }
        break;
      case "closed":
        label = st.ended || "closed";
        tone = label;
        break;
    }
    if (ui.label.textContent !== label) ui.label.textContent = label;
    if (ui.detail.textContent !== detail) ui.detail.textContent = detail;
    ui.status.dataset.state = tone;
  }

  function set(id, text) {
    var el = $(id);
    if (el.textContent !== text) el.textContent = text;
  }

  function ms(v) { return v < 10 ? v.toFixed(2) + " ms" : Math.round(v) + " ms"; }

  function bytes(n) {
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1048576).toFixed(1) + " MiB";
  }

  function showStats(s) {
    set("s-state", ws.state);
    set("s-ready", s.readyState < 0 ? "undefined" : String(s.readyState));
    set("s-attempt", String(s.attempt));
    set("s-attempts", String(s.attempts));
    set("s-close", describeClose(s) || "none yet");
    set("s-rtt", s.rtt > 0 ? ms(s.rtt) : "no pong yet");
    set("s-delay", s.nextDelay > 0 ? ms(s.nextDelay) : "–");
    set("s-frames", s.framesIn + " / " + s.framesOut);
    set("s-bytes", bytes(s.bytesIn) + " / " + bytes(s.bytesOut));
    set("s-queued", s.queued + " (" + bytes(s.queuedBytes) + ")");
    set("s-dropped", s.dropped + " / " + s.refused);
    var sh = s.shared;
    set("s-shared", !sh ? "off: this tab has its own socket" : sh.role === "leader"
      ? "this tab leads: it holds the socket for " + sh.tabs + (sh.tabs === 1 ? " tab" : " tabs")
      : "this tab follows: its frames go through the leading tab");
  }

  // tick reads stats() and derives what no event reports: heartbeat frames
  // (frames the page did not send or see), new RTT samples, reconnection
  // waits and token refreshes.
  function tick() {
    var s = ws.stats();
    if (!s) { badge(null); return; }
    var p = st.prev;
    if (p && s.framesIn >= p.framesIn && s.framesOut >= p.framesOut) {
      var flushed = st.sentByPage - (s.queued - p.queued); // page frames that left
      if (s.queued < p.queued && s.state === "open") {
        log("out", "outbox flushed: " + (p.queued - s.queued) + " queued message(s) sent, in order");
      }
      var pings = s.framesOut - p.framesOut - Math.max(0, flushed);
      var pongs = s.framesIn - p.framesIn - st.seenIn - Math.max(0, s.dropped - p.dropped);
      for (var i = 0; i < pings; i++) log("beat", "ping →");
      if (s.rtt > 0 && (pongs > 0 || s.rtt !== p.rtt)) {
        log("beat", "← pong, round trip " + ms(s.rtt));
        sample(st.rtts, s.rtt);
        drawRTT();
      }
    }
    if (s.state === "reconnecting" && s.nextDelay > 0) {
      var key = s.attempts + "/" + s.attempt;
      if (!st.wait || st.wait.key !== key) {
        st.wait = { key: key, delay: s.nextDelay, since: Date.now() };
        log("wait", "waiting " + ms(s.nextDelay) + " before the next attempt (" + s.attempt + " failed in a row)");
        sample(st.delays, s.nextDelay);
        drawDelays();
      }
    }
    var token = localStorage.getItem("session-token");
    if (st.token !== null && token !== st.token) log("ctl", "session-token changed (refreshed or another tab logged in)");
    st.token = token;
    st.prev = s;
    st.seenIn = 0;
    st.sentByPage = 0;
    showStats(s);
    badge(s);
  }

  // ---------------------------------------------------------------- charts

  function sample(list, v) {
    list.push(v);
    if (list.length > SAMPLES_MAX) list.shift();
  }

  var SVG = "http://www.w3.org/2000/svg";
  var W = 320, H = 120, L = 40, R = 8, T = 10, B = 18;

  function el(name, attrs, text) {
    var e = document.createElementNS(SVG, name);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function niceMax(v) {
    if (v <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function fmtAxis(v) { return v >= 100 ? String(Math.round(v)) : String(+v.toFixed(2)); }

  // frame draws the axes of a chart scaled to max and returns y(v).
  function frame(svg, max, empty) {
    svg.replaceChildren();
    svg.append(el("rect", { x: L, y: T, width: W - L - R, height: H - T - B, "class": "plot" }));
    var y = function (v) { return T + (H - T - B) * (1 - v / max); };
    [0, max / 2, max].forEach(function (v) {
      svg.append(el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), "class": "grid" }));
      svg.append(el("text", { x: L - 4, y: y(v) + 4, "class": "axis", "text-anchor": "end" }, fmtAxis(v)));
    });
    if (empty) svg.append(el("text", { x: (L + W - R) / 2, y: H / 2 + 4, "class": "empty", "text-anchor": "middle" }, empty));
    return y;
  }

  function drawRTT() {
    var v = st.rtts;
    var max = niceMax(Math.max.apply(null, v.concat([0.5])));
    var y = frame(ui.rtt, max, v.length ? "" : "waiting for a pong");
    var step = (W - L - R - 8) / (SAMPLES_MAX - 1);
    // newest at the right edge, like a strip chart
    var pts = v.map(function (x, i) { return (W - R - 4 - (v.length - 1 - i) * step).toFixed(1) + "," + y(x).toFixed(1); });
    if (pts.length > 1) ui.rtt.append(el("polyline", { points: pts.join(" "), "class": "line" }));
    pts.forEach(function (p) {
      var xy = p.split(",");
      ui.rtt.append(el("circle", { cx: xy[0], cy: xy[1], r: 2.5, "class": "dot" }));
    });
    if (v.length) {
      var last = v[v.length - 1];
      ui.rtt.setAttribute("aria-label", "Heartbeat round-trip time: latest " + ms(last) + ", highest " +
        ms(Math.max.apply(null, v)) + " over " + v.length + " samples");
    }
  }

  function drawDelays() {
    var v = st.delays;
    var max = niceMax(Math.max.apply(null, v.concat([1000])));
    var y = frame(ui.delay, max, v.length ? "" : "no reconnection yet");
    var slot = (W - L - R) / Math.max(v.length, 8);
    v.forEach(function (d, i) {
      var x = L + i * slot + slot * 0.15;
      ui.delay.append(el("rect", { x: x.toFixed(1), y: y(d).toFixed(1), width: (slot * 0.7).toFixed(1),
        height: (y(0) - y(d)).toFixed(1), "class": "bar" }));
      if (slot >= 28) {
        ui.delay.append(el("text", { x: (x + slot * 0.35).toFixed(1), y: (y(d) - 3).toFixed(1),
          "class": "val", "text-anchor": "middle" }, (d / 1000).toFixed(1) + "s"));
      }
    });
    if (v.length) {
      ui.delay.setAttribute("aria-label", "Reconnection delays in ms, oldest first: " +
        v.map(function (d) { return Math.round(d); }).join(", "));
    }
  }

  // ---------------------------------------------------------------- events

  EVENTS.forEach(function (name) {
    ws.on(name, function (payload) {
      var s = ws.stats() || {};
      var text = name;
      if (name === "EVT_CONNECTED" || name === "EVT_RECONNECTED") {
        st.ended = null;
        st.wait = null;
      }
      if (ENDS[name]) st.ended = ENDS[name];
      if (name === "EVT_DISCONNECTED" || name === "EVT_SERVER_GONE" || ENDS[name]) {
        var c = describeClose(s);
        if (c) text += " (" + c + ")";
      }
      if (name === "EVT_RECONNECTING" && payload && typeof payload.then === "function") {
        text += " (attempt " + (s.attempts || "?") + ")";
        payload.then(function (r) { log("evt", "reconnection attempt resolved " + String(r)); });
      }
      log("evt", text);
      tick();
      if (st.controls) refreshSockets();
    });
  });

  // ---------------------------------------------------------------- channels

  function subscribe(name) {
    if (st.channels[name]) return false;
    var li = document.createElement("li");
    var head = document.createElement("div");
    head.className = "chan-head";
    var title = document.createElement("strong");
    title.textContent = name;
    var count = document.createElement("span");
    count.className = "count";
    count.textContent = "0 messages";
    var off = document.createElement("button");
    off.type = "button";
    off.textContent = "Unsubscribe";
    off.setAttribute("aria-label", "Unsubscribe from " + name);
    head.append(title, count, off);
    var list = document.createElement("ol");
    list.className = "chan-msgs";
    list.setAttribute("aria-label", "Messages on " + name);
    li.append(head, list);
    ui.channels.append(li);

    var entry = { count: 0, countEl: count, list: list, li: li };
    entry.fn = function (data) {
      entry.count++;
      count.textContent = entry.count + (entry.count === 1 ? " message" : " messages");
      var m = document.createElement("li");
      var mine = data && data.from === tab;
      var who = document.createElement("span");
      who.className = "who " + (mine ? "who-me" : data && data.from ? "who-other" : "who-none");
      who.textContent = mine ? "echo, from this tab" : data && data.from ? "from tab " + data.from : "no \"from\" label";
      var body = document.createElement("code");
      var shown = {};
      for (var k in data) if (k !== "websocket") shown[k] = data[k];
      body.textContent = clip(JSON.stringify(shown), 200);
      var t = document.createElement("time");
      t.textContent = clock(Date.now());
      m.append(t, who, body);
      list.prepend(m);
      while (list.childElementCount > CHANNEL_MAX) list.lastElementChild.remove();
    };
    ws.on(name, entry.fn);
    off.addEventListener("click", function () {
      ws.off(name, entry.fn);
      delete st.channels[name];
      li.remove();
      log("ctl", "unsubscribed from " + name);
      ui.chanName.focus();
    });
    st.channels[name] = entry;
    log("ctl", "subscribed to " + name);
    return true;
  }

  $("chan-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var name = ui.chanName.value.trim();
    ui.chanError.textContent = "";
    if (!name) { ui.chanError.textContent = "Type a channel name first."; return; }
    if (/^EVT_/.test(name) || name === "*") {
      ui.chanError.textContent = "Pick a channel of your own: EVT_* and * carry the client's events.";
      return;
    }
    if (!subscribe(name)) { ui.chanError.textContent = "Already subscribed to " + name + "."; return; }
    ui.chanName.value = "";
  });

  // ---------------------------------------------------------------- send

  $("send-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = ui.sendText.value;
    var msg;
    ui.sendError.textContent = "";
    ui.sendError.className = "error";
    ui.sendText.removeAttribute("aria-invalid");
    try {
      msg = JSON.parse(text);
    } catch (err) {
      ui.sendError.textContent = "Not valid JSON: " + err.message;
      ui.sendText.setAttribute("aria-invalid", "true");
      return;
    }
    var before = ws.state;
    try {
      ws.send(msg);
    } catch (err) {
      ui.sendError.textContent = "send() threw " + errText(err);
      log("err", "send() threw " + errText(err));
      return;
    }
    st.sentByPage++;
    var out = JSON.stringify(msg);
    if (before === "open") {
      log("out", "send → " + clip(out, 160));
    } else {
      var s = ws.stats();
      log("out", "send while " + before + ": queued in the outbox (" + (s ? s.queued : "?") + " waiting) " + clip(out, 120));
    }
    var hasChannel = msg !== null && typeof msg === "object" && typeof msg.channel === "string";
    if (!hasChannel) {
      ui.sendError.className = "hint";
      ui.sendError.textContent = "Sent, but the server only relays objects with a string \"channel\"; nothing will come back.";
    } else if (!st.channels[msg.channel]) {
      ui.sendError.className = "hint";
      ui.sendError.textContent = "Sent. Subscribe to \"" + msg.channel + "\" to see it come back.";
    }
  });

  // ---------------------------------------------------------------- server controls

  function post(path) {
    return fetch(path, { method: "POST", cache: "no-store" }).then(function (r) {
      if (r.status === 404) { controlsOff(); throw new Error("test controls are off (404)"); }
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r;
    });
  }

  function controlsOff() {
    st.controls = false;
    ui.controlsOff.hidden = false;
    document.querySelectorAll("#server-buttons button").forEach(function (b) { b.disabled = true; });
    $("close-reason").disabled = true;
    ui.sockets.textContent = "Server: test controls off, socket count unknown.";
  }

  function refreshSockets() {
    fetch("/test/state?user=dev", { cache: "no-store" }).then(function (r) {
      if (r.status === 404) { controlsOff(); return null; }
      return r.ok ? r.json() : null;
    }).then(function (v) {
      if (!v || !v.conns) return;
      var n = v.conns.filter(function (c) { return c.open; }).length;
      ui.sockets.textContent = "Server: " + n + (n === 1 ? " open socket" : " open sockets") +
        " for user dev (every tab of this browser is the same user" +
        (ws.stats() && ws.stats().shared ? ", and in shared mode they share one socket: open a second tab" : "") + ").";
    }).catch(function () { /* the server may be restarting */ });
  }

  var actions = {
    drop: function () { return post("/test/drop").then(function () { return "dropped every socket (1006)"; }); },
    close: function (b) {
      var code = b.dataset.code;
      var reason = $("close-reason").value;
      return post("/test/close?code=" + code + "&reason=" + encodeURIComponent(reason)).then(function () {
        return "closed every socket with " + code + (reason ? " " + reason : "");
      });
    },
    stall: function (b) {
      var on = !st.stalled;
      return post("/test/stall?on=" + (on ? 1 : 0)).then(function () {
        st.stalled = on;
        b.setAttribute("aria-pressed", String(on));
        b.textContent = on ? "Answer pings again" : "Stop answering pings";
        return on ? "the server stopped answering (timeout after 5 s without pong)" : "the server answers again";
      });
    },
    refuse: function () {
      return post("/test/refuse?status=503&ms=5000").then(function () { return post("/test/drop"); })
        .then(function () { return "upgrades refused with 503 for 5 s, socket dropped"; });
    },
    expire: function () {
      var token = localStorage.getItem("session-token") || "";
      return post("/test/expire?token=" + encodeURIComponent(token)).then(function () { return post("/test/drop"); })
        .then(function () { return "token expired and socket dropped: the client must refresh it"; });
    },
    goaway: function () {
      return post("/test/goaway?ms=2000").then(function () { return "server restart: 1001 now, upgrades refused for 2 s"; });
    }
  };

  document.querySelectorAll("#server-buttons button").forEach(function (b) {
    b.addEventListener("click", function () {
      var name = b.dataset.test;
      var label = b.textContent;
      log("ctl", "server: " + label);
      b.disabled = true;
      actions[name](b).then(function (msg) {
        ui.serverResult.className = "result";
        ui.serverResult.textContent = msg;
      }, function (err) {
        ui.serverResult.className = "result error";
        ui.serverResult.textContent = label + " failed: " + err.message;
        log("err", label + " failed: " + err.message);
      }).then(function () { if (st.controls) b.disabled = false; });
    });
  });

  // ---------------------------------------------------------------- client controls

  function clientResult(text, isError) {
    ui.clientResult.className = isError ? "result error" : "result";
    ui.clientResult.textContent = text;
    log(isError ? "err" : "ctl", text);
  }

  $("btn-close").addEventListener("click", function () {
    log("ctl", "close()");
    var p;
    try { p = ws.close(); } catch (e) { clientResult("close() threw " + errText(e), true); return; }
    Promise.resolve(p).then(function () { clientResult("close() resolved"); tick(); },
      function (e) { clientResult("close() rejected " + errText(e), true); });
  });

  $("btn-init").addEventListener("click", function () {
    st.ended = null;
    start();
  });

  $("btn-reconnect").addEventListener("click", function () {
    try { ws.reconnect(); clientResult("reconnect() called"); } catch (e) { clientResult("reconnect() threw " + errText(e), true); }
    tick();
  });

  $("btn-offline").addEventListener("click", function (e) {
    var b = e.currentTarget;
    st.offline = !st.offline;
    window.dispatchEvent(new Event(st.offline ? "offline" : "online"));
    b.setAttribute("aria-pressed", String(st.offline));
    b.textContent = st.offline ? "Go back online" : "Go offline";
    clientResult(st.offline ? "dispatched offline (simulated)" : "dispatched online: a waiting client reconnects now");
  });

  $("second-tab").addEventListener("click", function () {
    var w = window.open(location.href, "_blank");
    log("ctl", w ? "opened a second tab: send with a channel there and watch it arrive here" : "the browser blocked the new tab");
  });

  $("btn-clear").addEventListener("click", function () {
    ui.timeline.replaceChildren();
    st.lastEntry = 0;
  });

  // ---------------------------------------------------------------- start

  function start() {
    log("ctl", "init(config)");
    var p;
    try { p = ws.init(config); } catch (e) { clientResult("init() threw " + errText(e), true); return; }
    p.then(function (r) { log("ctl", "init() resolved " + String(r)); tick(); },
      function (e) { clientResult("init() rejected " + errText(e), true); });
    tick();
  }

  function alertPage(text) {
    ui.alert.textContent = text;
    ui.alert.hidden = false;
  }

  // login reuses this browser's session when it is still valid, as the
  // tabs of a real app do: they share the token in localStorage, and so,
  // in shared mode, one socket.
  function login() {
    var saved = localStorage.getItem("session-token");
    if (!saved) return freshLogin();
    return fetch("/checkTokenValidity", { headers: { authorization: "Bearer " + saved }, cache: "no-store" })
      .then(function (r) {
        if (!r.ok) return freshLogin();
        st.token = saved;
        log("ctl", "signed in as dev with this browser's session (token in localStorage)");
      }, freshLogin);
  }

  function freshLogin() {
    return fetch("/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "dev", password: "dev" }),
      cache: "no-store"
    }).then(function (r) {
      if (!r.ok) throw new Error("POST /login answered HTTP " + r.status);
      return r.json();
    }).then(function (v) {
      localStorage.setItem("session-token", v.token);
      localStorage.setItem("session-refresh-token", v.refreshToken);
      st.token = v.token;
      log("ctl", "logged in as dev (token stored in localStorage)");
    });
  }

  $("tab-id").textContent = tab;
  ui.sendText.value = JSON.stringify({ channel: "chat", from: tab, text: "hello from tab " + tab }, null, 2);
  subscribe("chat");
  drawRTT();
  drawDelays();
  badge(null);

  ws.ready.catch(function (e) {
    alertPage("The WebAssembly client did not load (" + e.message + "). Run make build, then reload.");
  });
  refreshSockets();
  login().then(start, function (e) {
    alertPage("Login failed: " + e.message + ". Is the dev server running? Reload to try again.");
    log("err", "login failed: " + e.message);
  });
  setInterval(tick, 250);
  setInterval(function () { if (st.controls && !document.hidden) refreshSockets(); }, 4000);
})();
