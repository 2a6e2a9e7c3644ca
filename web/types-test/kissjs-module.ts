// A KissJS app's module using kiss.websocket, type-checked against
// ../kiss-websocket.d.ts beside the app's own `declare const kiss: any;`
// (tsc -p web/types-test/tsconfig.kissjs.json). Never run: it only has to
// compile. Each ts-expect-error line must be a type error, so the cast is
// shown to give kiss.websocket its types rather than any.

import type { KissWebsocket, KissWebsocketConfig, KissWebsocketStats } from "../kiss-websocket";

const ws = kiss.websocket as KissWebsocket;

export async function start(token: string): Promise<void> {
  const config: KissWebsocketConfig = {
    socketUrl: "wss://app.example/ws?token=" + token,
    reconnection: { delay: 1000, maxAttempts: Infinity },
  };
  await ws.ready;
  const opened: boolean | undefined = await ws.init(config);
  if (opened) ws.send({ channel: "chat", text: "hi" });
  const s: KissWebsocketStats | undefined = ws.stats();
  console.log(ws.version, ws.state, s?.attempts);
  // kiss.pubsub and the rest of KissJS stay as the app declared them.
  kiss.pubsub.subscribe("EVT_CONNECTED", () => console.log("connected"));
  await ws.close();

  // --- must not type-check ---

  // @ts-expect-error unknown config key
  await ws.init({ reconnect: true });
  // @ts-expect-error no such method
  ws.nosuch();
  // @ts-expect-error delay is a number of ms
  const bad: KissWebsocketConfig = { reconnection: { delay: "5s" } };
  console.log(bad);
}
