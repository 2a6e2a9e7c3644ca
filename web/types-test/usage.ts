// A page's use of kiss.websocket, type-checked against ../kiss-websocket.d.ts
// and its opt-in global ../kiss-websocket-global.d.ts
// (tsc -p web/types-test). Never run: it only has to compile. Each line
// marked ts-expect-error below must be a type error (tsc fails when an
// expected error does not occur), so the check cannot pass vacuously.

import type {
  KissWebsocketConfig,
  KissWebsocketEvent,
  KissWebsocketMessage,
  KissWebsocketState,
  KissWebsocketStats,
} from "../kiss-websocket";

export {}; // a module: the names below stay local

const config: KissWebsocketConfig = {
  socketUrl: "wss://example.com/ws?token=",
  port: 8080,
  sslPort: 8443,
  reconnection: { enabled: true, delay: 1000, delta: 1, maxAttempts: Infinity, factor: 1.5, maxDelay: 10000 },
  heartbeat: { enabled: true, delay: 10000, timeout: 35000 },
  connectTimeout: 20000,
  outbox: { maxMessages: 1000, maxBytes: 1 << 20 },
  onopen: () => console.log("open"),
  onmessage: (event) => {
    const text: string = event.data;
    console.log(text.length);
  },
  onclose: () => console.log("closed"),
};

async function main(): Promise<void> {
  const version: string = kiss.websocket.version;
  await kiss.websocket.ready;

  const opened: boolean | undefined = await kiss.websocket.init(config);
  if (opened === undefined) return; // nothing to do (ws disabled)
  await kiss.websocket.init(); // config is optional
  // what kiss.session.restore() passes: the ports read back from localStorage
  await kiss.websocket.init({ port: localStorage.getItem("session-ws.port"), sslPort: localStorage.getItem("session-ws.sslPort") });
  await kiss.websocket.init({ port: "80", sslPort: null });

  kiss.websocket.send({ channel: "chat", text: "hi" });
  kiss.websocket.reconnect();

  const state: KissWebsocketState = kiss.websocket.state;
  if (state === "open") console.log(version);

  const s: KissWebsocketStats | undefined = kiss.websocket.stats();
  if (s) {
    const n: number =
      s.readyState + s.attempt + s.attempts + s.lastCloseCode + s.rtt + s.nextDelay +
      s.framesIn + s.framesOut + s.bytesIn + s.bytesOut +
      s.queued + s.queuedBytes + s.dropped + s.refused + s.discarded;
    const why: string = s.lastCloseReason;
    const clean: boolean = s.lastCloseClean;
    const st: KissWebsocketState = s.state;
    console.log(n, why, clean, st);
    if (s.shared) {
      const lead: boolean = s.shared.role === "leader";
      console.log(lead, s.shared.tabs, s.shared.relayedIn + s.shared.relayedOut + s.shared.takeovers + s.shared.socketRtt);
    }
  }
  void kiss.websocket.init({ shared: true });

  // The browser socket of the moment.
  const c = kiss.websocket.connection;
  const url: string = c.url;
  const buffered: number = c.bufferedAmount;
  const protocol: string = c.protocol;
  c.send("x");
  c.addEventListener("message", (e) => e.data);
  c.addEventListener("close", (e) => console.log(e.code, e.reason, e.wasClean));
  if (kiss.websocket.connection instanceof WebSocket) console.log(url, buffered, protocol);
  if (kiss.websocket.connection.readyState === WebSocket.CLOSED) kiss.websocket.reconnect();

  // Own pubsub: events, channels and "*".
  const ev: KissWebsocketEvent = "EVT_CONNECTED";
  const onConnected = kiss.websocket.on(ev, () => console.log("connected"));
  kiss.websocket.off(ev, onConnected);
  const onChat = kiss.websocket.on("chat", (m: KissWebsocketMessage) => console.log(m.channel, m.websocket));
  kiss.websocket.off("chat", onChat);
  const channel: string = "room-" + Math.random();
  kiss.websocket.on(channel, (m) => console.log(m));
  kiss.websocket.on("*", (m) => console.log(m));
  kiss.websocket.on("EVT_SERVER_GONE", () => console.log("gone"));
  kiss.websocket.on("EVT_DB_UPDATE:M1", (m: KissWebsocketMessage) => console.log(m.id)); // a KissJS channel

  await kiss.websocket.close();

  // Other KissJS members stay reachable.
  console.log(kiss.pubsub);

  // --- must not type-check ---

  // @ts-expect-error delay is a number of ms
  await kiss.websocket.init({ reconnection: { delay: "5s" } });
  // @ts-expect-error a port is a number or a string of digits
  await kiss.websocket.init({ port: true });
  // @ts-expect-error unknown config key
  await kiss.websocket.init({ reconnect: true });
  // @ts-expect-error no such method
  kiss.websocket.nosuch();
  // @ts-expect-error the listener is a function
  kiss.websocket.on("chat", "not a function");
  // @ts-expect-error init resolves boolean | undefined, not boolean
  const sure: boolean = await kiss.websocket.init();
  // @ts-expect-error the connection is read-only
  kiss.websocket.connection = new WebSocket("ws://x");
  // @ts-expect-error stats() may be undefined before the wasm is ready
  kiss.websocket.stats().discarded;
  // @ts-expect-error not a state
  const bad: KissWebsocketState = "opened";
  console.log(sure, bad);
}

void main();
