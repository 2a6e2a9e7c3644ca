// A stand-in for the parts of KissJS (bundle 4960) that call kiss.websocket:
// kiss.session, the start-up call of kiss.app.init and kiss.pubsub. The real
// bundle is not available to the project: this is written from the
// behaviour we must match, as the browser tests observe it through these
// call sites. Like KissJS it is one classic script, loaded before the
// loader, that declares `const kiss` (and `log`) at top level: global
// lexical bindings, so window.kiss stays undefined.
//
// What KissJS leaves unsaid is chosen plainly and marked "stand-in:".

// log is KissJS's logger: log(message, level), level 4 for errors. The
// entries stay in log.entries for the tests to read.
const log = (function () {
  "use strict";
  var entries = [];
  function log(msg, level) {
    entries.push({ level: level || 0, msg: String(msg) });
    console.log(String(msg));
  }
  log.entries = entries;
  return log;
})();

const kiss = (function () {
  "use strict";

  // kiss.pubsub: synchronous; a channel's subscribers in the order they
  // came, each in its own try/catch, then the "*" subscribers with the same
  // data. Channel names are case-sensitive.
  var pubsub = (function () {
    var subs = {}; // channel -> [{id, fn}]
    var next = 0;
    function deliver(list, data) {
      if (!list) return;
      list = list.slice();
      for (var i = 0; i < list.length; i++) {
        try { list[i].fn(data); } catch (e) { log("kiss.pubsub - a subscriber threw: " + (e && e.message), 4); }
      }
    }
    return {
      subscribe: function (channel, fn) {
        var id = "pubsub-" + (++next);
        (subs[channel] || (subs[channel] = [])).push({ id: id, fn: fn });
        return id;
      },
      unsubscribe: function (id) {
        for (var ch in subs) subs[ch] = subs[ch].filter(function (s) { return s.id !== id; });
      },
      publish: function (channel, data) {
        deliver(subs[channel], data);
        if (channel !== "*") deliver(subs["*"], data); // stand-in: "*" itself is delivered once
      }
    };
  })();

  // The session's fields in localStorage. reset() clears every session-*
  // key, these and any other.
  var KEYS = {
    token: "session-token",
    refreshToken: "session-refresh-token",
    userId: "session-userId",
    expiresIn: "session-expiresIn",
    wsPort: "session-ws.port",
    wsSslPort: "session-ws.sslPort"
  };

  function store(key, value) {
    if (value === undefined || value === null) return; // stand-in: a field the answer lacks stays as it was
    localStorage.setItem(key, String(value));
  }

  var session = {
    // Where the server is: host (with its port, if any) and whether it
    // speaks TLS. KissJS's default is secure, even on an http page.
    host: "",
    secure: true,
    wsPort: 80,
    wssPort: 443,
    observing: false,

    getToken: function () { return localStorage.getItem(KEYS.token); },
    getUserId: function () { return localStorage.getItem(KEYS.userId) || "anonymous"; },

    // getHttpHost is where login, the token check and logout go: relative
    // to the page without a host. (stand-in: the scheme follows secure.)
    getHttpHost: function () {
      var h = this.host;
      if (!h) return "";
      if (h.indexOf("://") >= 0) return h.replace(/\/+$/, "");
      return (this.secure ? "https://" : "http://") + h;
    },

    // getWebsocketHost: wss:// when secure else ws://, the session's host or
    // the page's, with the default port added when the host names none.
    getWebsocketHost: function () {
      var h = this.host || location.host;
      var named = h.charAt(0) === "[" ? h.indexOf("]:") >= 0 : h.indexOf(":") >= 0;
      if (!named) h += ":" + (this.secure ? this.wssPort : this.wsPort);
      return (this.secure ? "wss://" : "ws://") + h;
    },

    // observe subscribes, once, to what kiss.websocket publishes about the
    // connection.
    observe: function () {
      if (this.observing) return;
      this.observing = true;
      var self = this;
      pubsub.subscribe("EVT_DISCONNECTED", function () { self.shown = "websocket disconnected"; });
      pubsub.subscribe("EVT_RECONNECTED", function () { self.shown = ""; });
      pubsub.subscribe("EVT_CONNECTION_LOST", function () { self.shown = "connection lost"; });
      pubsub.subscribe("EVT_UNUSABLE_TOKEN", function () {
        kiss.session.reset();
        document.location.reload();
      });
    },

    // connect is the call every path ends with: kiss.websocket.init with
    // the ports read back from localStorage, strings or null. A rejection
    // is logged at level 4 and goes no further.
    connect: async function () {
      try {
        await kiss.websocket.init({
          port: localStorage.getItem(KEYS.wsPort),
          sslPort: localStorage.getItem(KEYS.wsSslPort)
        });
      } catch (e) {
        log("kiss.session - websocket: " + (e && e.message), 4);
      }
    },

    // init takes a login (or refresh) answer: it stores the session, ports
    // as strings, then connects.
    init: async function (data) {
      data = data || {};
      store(KEYS.token, data.token);
      store(KEYS.refreshToken, data.refreshToken);
      store(KEYS.userId, data.userId);
      store(KEYS.expiresIn, data.expiresIn);
      if (data.ws) {
        store(KEYS.wsPort, data.ws.port);
        store(KEYS.wsSslPort, data.ws.sslPort);
      }
      this.observe();
      await this.connect();
    },

    // restore is the start-up path: nothing to do without a stored token.
    restore: async function () {
      if (!localStorage.getItem(KEYS.token)) return;
      this.observe();
      await this.connect();
    },

    // login({username, password}) posts /login, login({token}) posts
    // /verifyToken; a good answer goes to init. It answers whether it
    // succeeded.
    login: async function (credentials) {
      credentials = credentials || {};
      var byToken = credentials.token !== undefined;
      var body = byToken ? { token: credentials.token } : { username: credentials.username, password: credentials.password };
      try {
        var res = await fetch(this.getHttpHost() + (byToken ? "/verifyToken" : "/login"), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body)
        });
        if (!res.ok) {
          log("kiss.session - login refused: " + res.status, 4);
          return false;
        }
        await this.init(await res.json());
        return true;
      } catch (e) {
        log("kiss.session - login: " + (e && e.message), 4);
        return false;
      }
    },

    // logout: GET /logout, close the socket unless it is closed, reset (which
    // closes it a second time while it is still closing), reload.
    logout: async function () {
      try {
        await fetch(this.getHttpHost() + "/logout", { headers: { authorization: "Bearer " + this.getToken() } });
      } catch (e) {
        log("kiss.session - logout: " + (e && e.message), 4);
      }
      if (kiss.websocket.connection.readyState !== WebSocket.CLOSED) kiss.websocket.close();
      kiss.session.reset();
      document.location.reload();
    },

    // reset forgets the session (every session-* key), then closes the
    // socket unless it is closed.
    reset: function () {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var key = localStorage.key(i);
        if (key && key.indexOf("session-") === 0) localStorage.removeItem(key);
      }
      if (kiss.websocket.connection.readyState !== WebSocket.CLOSED) kiss.websocket.close();
    },

    // checkTokenValidity: 200 valid; 498 expired, which refreshes when asked
    // to; anything else, a network error included, not valid.
    checkTokenValidity: async function (refresh) {
      try {
        var res = await fetch(this.getHttpHost() + "/checkTokenValidity", {
          headers: { authorization: "Bearer " + this.getToken() }
        });
        if (res.status === 200) return true;
        if (res.status === 498 && refresh) return await this.getNewToken();
        return false;
      } catch (e) {
        log("kiss.session - checkTokenValidity: " + (e && e.message), 4);
        return false;
      }
    },

    // getNewToken: POST /refreshToken, then init with the answer (a new
    // token, the same user). A refresh that fails closes the socket.
    getNewToken: async function () {
      try {
        var res = await fetch(this.getHttpHost() + "/refreshToken", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ refreshToken: localStorage.getItem(KEYS.refreshToken) })
        });
        if (!res.ok) throw new Error("refresh refused: " + res.status);
        await this.init(await res.json());
        return true;
      } catch (e) {
        log("kiss.session - getNewToken: " + (e && e.message), 4);
        try { kiss.websocket.close(); } catch (e2) { /* never initialised */ }
        return false;
      }
    }
  };

  return {
    context: {},
    pubsub: pubsub,
    session: session,
    app: {
      // init: the session is restored before the application starts,
      // unless the route is public.
      init: async function (config) {
        config = config || {};
        if (!config.public) await kiss.session.restore();
        return true;
      }
    }
  };
})();
