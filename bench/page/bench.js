// The bench page's workloads, driven by bench/main.go (make bench) through
// window.bench. The variants:
//   raw   the browser's WebSocket, onmessage = JSON.parse + count
//   rws   reconnecting-websocket 4.4.0, the same handler
//   ours  kiss.websocket through the real loader; the loader JSON.parses and
//         publishes to kiss.pubsub, whose subscriber counts: the same work
//   leader, follower
//         kiss.websocket in shared mode: two pages (tabs of their own
//         windows, so both visible) on one socket; the follower's frames and
//         sends go through the leader. bench.setup(["leader"], id) and
//         bench.setup(["follower"], id) name the socket they share.
// bench.setup(["raw", "rws", "ours"]) opens one socket per variant in this
// page, so the driver can interleave small blocks of each workload and
// whatever else runs on the machine hits every variant alike. ?v=start loads
// nothing: bench.start(variant) times one start of the loader (or of a raw
// socket) phase by phase.
// Each socket is its own bench socket (/bench/ws?id=...) on the dev server,
// which echoes frames whose channel is "echo", counts the others and pushes
// bursts on request (internal/kissserver/bench.go).
(function () {
  "use strict";

  var PAD = "x".repeat(60); // sent frames come to about 100 bytes, like pushed ones
  // FRAME is what the server pushes (kissserver.BenchFrame(0, 100)).
  var FRAME = '{"channel":"bench","seq":"0000000000","pad":"' + "x".repeat(53) + '"}';
  var wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/bench/ws?id=";

  var state = {}; // variant -> its socket, counters and results
  var goMemory = null; // the Go instance's WebAssembly.Memory

  // Every socket the page opens, whoever opens it (by URL), so
  // bench.handler() can feed frames through the variant's own listeners.
  // Only construction goes through the wrapper: the sockets are the
  // browser's own.
  var sockets = {};
  var NativeWebSocket = window.WebSocket;
  function TrackedWebSocket(u, protocols) {
    var ws = arguments.length > 1 ? new NativeWebSocket(u, protocols) : new NativeWebSocket(u);
    sockets[u] = ws;
    return ws;
  }
  TrackedWebSocket.prototype = NativeWebSocket.prototype;
  Object.setPrototypeOf(TrackedWebSocket, NativeWebSocket); // CONNECTING, OPEN, ...
  window.WebSocket = TrackedWebSocket;

  function newState(name) {
    var st = {
      name: name, id: name + "-" + Math.random().toString(36).slice(2, 10), send: null,
      got: 0, want: 0, burstDone: null, echoWait: null,
      rtts: [], burstFrames: 0, burstMs: 0, outCalls: 0, loopMs: 0, e2eMs: 0, received: 0,
      handlerUs: Infinity
    };
    st.url = wsBase + st.id;
    // route is the per-message work every variant shares, after JSON.parse.
    st.route = function (v) {
      if (v.channel === "bench") {
        if (++st.got === st.want && st.burstDone) st.burstDone();
      } else if (v.channel === "echo" && st.echoWait) {
        var f = st.echoWait;
        st.echoWait = null;
        f(v);
      }
    };
    return st;
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

  // captureWasmMemory finds the Go instance's memory without touching the
  // loader: it watches WebAssembly.instantiate*, which the loader calls.
  function captureWasmMemory(onInstance) {
    ["instantiateStreaming", "instantiate"].forEach(function (name) {
      var orig = WebAssembly[name];
      if (typeof orig !== "function") return;
      WebAssembly[name] = function () {
        return orig.apply(WebAssembly, arguments).then(function (r) {
          var inst = r instanceof WebAssembly.Instance ? r : r.instance;
          if (inst && inst.exports.mem instanceof WebAssembly.Memory) {
            goMemory = inst.exports.mem;
            if (onInstance) onInstance();
          }
          return r;
        });
      };
    });
  }

  function opened(ws, name) {
    return new Promise(function (resolve, reject) {
      ws.onopen = function () { resolve(); };
      ws.onerror = function () { reject(new Error(name + ": the socket failed")); };
    });
  }

  var variants = {
    raw: function (st) {
      var ws = new WebSocket(st.url);
      var route = st.route;
      ws.onmessage = function (e) { route(JSON.parse(e.data)); };
      return opened(ws, "raw").then(function () {
        return function (o) { ws.send(JSON.stringify(o)); };
      });
    },
    rws: function (st) {
      return loadScript("reconnecting-websocket.js").then(function () {
        var ws = new ReconnectingWebSocket(st.url, [], { maxRetries: 0 });
        var route = st.route;
        ws.onmessage = function (e) { route(JSON.parse(e.data)); };
        return opened(ws, "rws").then(function () {
          return function (o) { ws.send(JSON.stringify(o)); };
        });
      });
    },
    leader: function (st) { return shared(st, "leader"); },
    follower: function (st) { return shared(st, "follower"); },
    ours: function (st) {
      captureWasmMemory();
      return loadScript("/kiss-websocket.js")
        .then(function () { return kiss.websocket.ready; })
        .then(function () {
          kiss.pubsub.subscribe("bench", st.route);
          kiss.pubsub.subscribe("echo", st.route);
          return kiss.websocket.init({ socketUrl: st.url });
        })
        .then(function (ok) {
          if (ok !== true) throw new Error("ours: init resolved " + ok);
          return function (o) { kiss.websocket.send(o); };
        });
    }
  };

  // shared starts kiss.websocket in shared mode and waits until this page
  // has its part (the leader's page is opened first).
  function shared(st, role) {
    return loadScript("/kiss-websocket.js")
      .then(function () { return kiss.websocket.ready; })
      .then(function () {
        kiss.pubsub.subscribe("bench", st.route);
        kiss.pubsub.subscribe("echo", st.route);
        return kiss.websocket.init({ socketUrl: st.url, shared: true });
      })
      .then(function (ok) {
        if (ok !== true) throw new Error(role + ": init resolved " + ok);
        return new Promise(function (resolve, reject) {
          var t0 = performance.now();
          (function check() {
            var s = kiss.websocket.stats();
            if (s.shared && s.shared.role === role && kiss.websocket.state === "open") return resolve();
            if (performance.now() - t0 > 10000) return reject(new Error(role + ": this page is " + JSON.stringify(s.shared)));
            setTimeout(check, 20);
          })();
        });
      })
      .then(function () { return function (o) { kiss.websocket.send(o); }; });
  }

  function count(st) {
    return fetch("/bench/count?id=" + st.id).then(function (r) { return r.json(); });
  }

  function pct(sorted, p) {
    return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  }

  window.bench = {
    setup: async function (names, sharedID) {
      for (var i = 0; i < names.length; i++) {
        var st = newState(names[i]);
        if (sharedID) { st.id = sharedID; st.url = wsBase + sharedID; }
        st.send = await variants[names[i]](st);
        state[names[i]] = st;
      }
      return { isolated: self.crossOriginIsolated === true };
    },

    // echo: n sequential round trips (after warm unmeasured ones).
    echo: async function (name, n, warm) {
      var st = state[name], send = st.send;
      for (var i = -warm; i < n; i++) {
        var back = new Promise(function (resolve) { st.echoWait = resolve; });
        var t0 = performance.now();
        send({ channel: "echo", i: i, pad: PAD });
        await back;
        var us = (performance.now() - t0) * 1000;
        if (i >= 0) st.rtts.push(us);
      }
    },

    // burst: the server pushes n frames of 100 bytes as fast as it can;
    // timed from the request to the last frame counted.
    burst: async function (name, n) {
      var st = state[name];
      st.got = 0;
      st.want = n;
      var done = new Promise(function (resolve) { st.burstDone = resolve; });
      var t0 = performance.now();
      var push = fetch("/bench/push?id=" + st.id + "&n=" + n + "&size=100", { method: "POST" })
        .then(function (r) { return r.json(); });
      await done;
      st.burstMs += performance.now() - t0;
      st.burstFrames += n;
      st.burstDone = null;
      var p = await push;
      if (p.sent !== n) throw new Error("burst: the server sent " + p.sent + " of " + n);
      return { ms: performance.now() - t0, rate: n / (performance.now() - t0) * 1000 };
    },

    // outbound: n send() calls in a loop, then an echo marker: TCP keeps
    // order, so its return means the server has read every frame.
    outbound: async function (name, n) {
      var st = state[name], send = st.send;
      var before = await count(st);
      var t0 = performance.now();
      for (var i = 0; i < n; i++) send({ channel: "out", i: i, pad: PAD });
      var t1 = performance.now();
      var back = new Promise(function (resolve) { st.echoWait = resolve; });
      send({ channel: "echo", last: n });
      await back;
      var t2 = performance.now();
      var after = await count(st);
      st.outCalls += n;
      st.loopMs += t1 - t0;
      st.e2eMs += t2 - t0;
      st.received += after.frames - before.frames - 1;
    },

    // handler: the JavaScript cost per frame alone, without the network:
    // synthetic MessageEvents dispatched on the variant's socket reach its
    // own listeners (the loader's shim for ours). Keeps the best pass.
    handler: function (name, n) {
      var st = state[name], ws = sockets[st.url];
      st.got = 0;
      st.want = -1;
      var t0 = performance.now();
      for (var i = 0; i < n; i++) ws.dispatchEvent(new MessageEvent("message", { data: FRAME }));
      st.handlerUs = Math.min(st.handlerUs, (performance.now() - t0) / n * 1000);
      if (st.got !== n) throw new Error("handler: " + st.got + " of " + n + " frames counted");
    },

    // report: what the workloads above accumulated for one variant.
    report: function (name) {
      var st = state[name];
      var rtts = st.rtts.slice().sort(function (a, b) { return a - b; });
      return {
        echo: rtts.length ? { p50: pct(rtts, 0.5), p90: pct(rtts, 0.9), p99: pct(rtts, 0.99), n: rtts.length } : null,
        burst: { frames: st.burstFrames, ms: st.burstMs, rate: st.burstFrames / st.burstMs * 1000 },
        out: {
          calls: st.outCalls, loopMs: st.loopMs, perCallUs: st.loopMs / st.outCalls * 1000,
          e2eMs: st.e2eMs, rate: st.outCalls / st.e2eMs * 1000, received: st.received
        },
        handlerUs: st.handlerUs === Infinity ? 0 : st.handlerUs
      };
    },

    goMemory: function () { return goMemory ? goMemory.buffer.byteLength : -1; },

    // start: one page start, in ms after the loader's script tag went in
    // (t0). variant "ours" is the loader and our wasm, which init()s at
    // once as a KissJS app does; "shared" the same in shared mode (which
    // waits for Go); "floor" the same loader in front of the safejs floor
    // program (no init); "raw" a new WebSocket at t0. Each phase is timed
    // from outside the loader: WebAssembly.compile* and instantiate are
    // wrapped, the boot object's getter marks Go's main reading it, and the
    // resource timing gives the transfer and the bytes of ours that came
    // before EVT_CONNECTED.
    start: async function (variant) {
      // The login a KissJS page has: a stored token, read by KissJS's
      // restore() before any client's init (so the profile's first
      // localStorage read is not the client's); each client glues it onto
      // the URL, as KissJS's does.
      localStorage.setItem("session-token", "bench-token");
      var t0 = performance.now(), at = {};
      function mark(name) { if (!at[name]) at[name] = performance.now() - t0; }
      if (variant === "raw") {
        var raw = new NativeWebSocket(wsBase + "start-raw");
        await new Promise(function (resolve, reject) {
          raw.onopen = resolve;
          raw.onerror = function () { reject(new Error("raw socket failed")); };
        });
        mark("open");
        mark("connected");
        raw.close();
        return at;
      }
      ["compileStreaming", "compile"].forEach(function (name) {
        var orig = WebAssembly[name];
        if (typeof orig !== "function") return;
        WebAssembly[name] = function () {
          return orig.apply(WebAssembly, arguments).then(function (m) { mark("compiled"); return m; });
        };
      });
      var instantiate = WebAssembly.instantiate;
      WebAssembly.instantiate = function () {
        return instantiate.apply(WebAssembly, arguments).then(function (r) { mark("instantiated"); return r; });
      };
      var boot;
      Object.defineProperty(globalThis, "__kissWebsocketBoot", {
        configurable: true,
        get: function () { mark("main"); return boot; },
        set: function (v) { boot = v; }
      });
      var connectedAt = 0;
      var connected = new Promise(function (resolve) {
        kiss.pubsub.subscribe("EVT_CONNECTED", function () { connectedAt = performance.now(); mark("connected"); resolve(); });
      });
      var el = document.createElement("script");
      // cached: the loader from a versioned directory served as the README
      // advises (immutable, a year): a second visit asks the server nothing
      var src = variant === "plain" ? "/bench/plain.js" : variant === "cached" ? "/bench/cached/kiss-websocket.js" : "/kiss-websocket.js";
      el.src = src;
      if (variant === "floor") el.setAttribute("data-wasm", "/floor-safejs.wasm");
      var loaded = new Promise(function (resolve, reject) {
        el.onload = resolve;
        el.onerror = function () { reject(new Error("cannot load the loader")); };
      });
      document.head.appendChild(el);
      await loaded;
      mark("loader");
      // the script's own fetch: when its last byte came (the rest, to
      // "loader", is its compilation and run)
      var script = performance.getEntriesByType("resource").filter(function (e) { return e.name.indexOf(src) >= 0; })[0];
      if (script) { at.scriptFetched = script.responseEnd - t0; at.scriptRequested = script.startTime - t0; }
      if (variant === "plain") {
        // the same init a KissJS app makes, on a plain JS client of KissJS's
        // shape in a script of its own: the floor for any client that is a
        // script
        kiss.websocket.init({ socketUrl: wsBase + "start-plain&token=" });
        mark("init");
        await connected;
        return at;
      }
      var connects = variant === "ours" || variant === "cached" || variant === "shared";
      if (connects) {
        kiss.websocket.init({ socketUrl: wsBase + "start&token=", heartbeat: { enabled: false }, shared: variant === "shared" || undefined });
        mark("init");
        // shared mode makes its socket once Go is there: connection is {} until then
        if (variant !== "shared") kiss.websocket.connection.addEventListener("open", function () { mark("open"); });
      }
      await kiss.websocket.ready;
      mark("ready");
      if (connects) await connected;
      var ours = /\/(kiss-websocket[^/]*\.(js|wasm)|wasm_exec\.js|floor-safejs\.wasm)(\?|$)/;
      at.early = performance.getEntriesByType("resource").filter(function (e) {
        return ours.test(e.name) && connectedAt && e.responseEnd <= connectedAt;
      }).reduce(function (n, e) { return n + e.encodedBodySize; }, 0);
      var wasm = performance.getEntriesByType("resource").filter(function (e) { return /\.wasm$/.test(e.name); })[0] || {};
      at.fetchStart = (wasm.startTime || t0) - t0;
      at.fetchEnd = (wasm.responseEnd || t0) - t0;
      at.transfer = wasm.transferSize || 0;
      at.encoded = wasm.encodedBodySize || 0;
      return at;
    }
  };
})();
