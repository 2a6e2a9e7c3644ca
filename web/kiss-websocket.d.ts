// TypeScript declarations for kiss-websocket's kiss.websocket.
//
// This file declares no global: a KissJS app already has its own `kiss`
// (often `declare const kiss: any;`), and a second declaration would clash.
// Such an app types the member it uses:
//
//   import type { KissWebsocket } from "./kiss-websocket";
//   const ws = kiss.websocket as KissWebsocket;
//
// (in a script file, without imports: `import("./kiss-websocket").KissWebsocket`).
// An app with no `kiss` declaration of its own can add
// kiss-websocket-global.d.ts beside this file, which declares the global `kiss`.

export type KissWebsocketEvent =
  | "EVT_CONNECTED"
  | "EVT_RECONNECTED"
  | "EVT_DISCONNECTED"
  | "EVT_RECONNECTING"
  | "EVT_CONNECTION_LOST"
  | "EVT_CONNECTION_CLOSED"
  | "EVT_UNUSABLE_TOKEN"
  | "EVT_SERVER_GONE";

/**
 * What on()/off() take: an event name, a channel or "*". Channels may start
 * with "EVT_" too (KissJS's own "EVT_DB_UPDATE:<modelId>"), so any string goes;
 * the event names are listed for completion.
 */
export type KissWebsocketTopic = KissWebsocketEvent | "*" | (string & {});

/**
 * init()'s config. KissJS's fields (socketUrl, port, sslPort, reconnection's
 * enabled/delay/delta/maxAttempts, heartbeat's, the hooks) never make init
 * reject: a string of digits counts as the number, null or "" as the default,
 * and a value that means nothing falls back to the default with one console
 * warning. The fields KissJS does not have (connectTimeout, shared, outbox,
 * reconnection's factor and maxDelay) reject init with a TypeError naming
 * the field.
 */
export interface KissWebsocketConfig {
  /** Socket URL; the token is appended (URL-encoded) only when it ends with "token=". */
  socketUrl?: string | null;
  /**
   * Port for the default ws:// URL when the host names none (80). KissJS's
   * own callers pass it as localStorage gives it back: "8080", or null.
   */
  port?: number | string | null;
  /** Port for the default wss:// URL when the host names none (443); as port. */
  sslPort?: number | string | null;
  reconnection?: {
    /** Reconnect automatically (true). */
    enabled?: boolean;
    /** Wait before each attempt, ms (5000). */
    delay?: number;
    /** Jitter: extra uniform wait of 0..delay*delta ms (2). */
    delta?: number;
    /** Failed attempts in a row before EVT_CONNECTION_LOST (10; Infinity allowed). */
    maxAttempts?: number;
    /** Exponential backoff factor for the base wait (1). */
    factor?: number;
    /** Cap of the base wait, ms (0: none). */
    maxDelay?: number;
  };
  heartbeat?: {
    /** Send the text frame "ping" (true). */
    enabled?: boolean;
    /** Ping interval, ms (10000). */
    delay?: number;
    /** No "pong" this long after the first unanswered ping: the socket is dead, ms (35000). */
    timeout?: number;
  };
  /** Abandon a handshake that hangs, ms (20000; 0: never). */
  connectTimeout?: number;
  /**
   * One socket for every tab of the browser profile (false; the loader's
   * data-shared attribute turns it on too): one tab leads and holds it, the
   * others go through it, and `connection` is a stand-in there. Without Web
   * Locks or BroadcastChannel each tab keeps its own socket.
   */
  shared?: boolean;
  outbox?: {
    /** Messages queued while not connected (1000). */
    maxMessages?: number;
    /** Bytes queued while not connected (1048576). */
    maxBytes?: number;
  };
  onopen?: () => void;
  onmessage?: (event: MessageEvent<string>) => void;
  onclose?: () => void;
}

export type KissWebsocketState = "idle" | "connecting" | "open" | "closing" | "reconnecting" | "closed";

export interface KissWebsocketStats {
  state: KissWebsocketState;
  readyState: number;
  /** Failed attempts in a row. */
  attempt: number;
  /** Connection attempts in total. */
  attempts: number;
  lastCloseCode: number;
  lastCloseReason: string;
  lastCloseClean: boolean;
  /** Latest heartbeat round trip, ms. */
  rtt: number;
  /** Wait before the pending reconnection, ms (0 when none). */
  nextDelay: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Messages waiting in the outbox. */
  queued: number;
  queuedBytes: number;
  /** Malformed frames from the server, dropped. */
  dropped: number;
  /** Sends refused because the outbox was full. */
  refused: number;
  /** Queued messages discarded because the session (the login: the user, else the token; every kiss.session.reset() ends one) changed before they could be sent. */
  discarded: number;
  /** Shared mode: this tab's part; null when the tab has its own socket. */
  shared: KissWebsocketShared | null;
}

export interface KissWebsocketShared {
  /** The leader holds the socket; a follower goes through it. */
  role: "leader" | "follower";
  /** Tabs on the socket, the leader included (known to the leader only). */
  tabs?: number;
  /**
   * The shared socket's heartbeat round trip, ms, as the leader measures it
   * (a follower's own rtt is its round trip to the leader).
   */
  socketRtt: number;
  /** Server frames this tab relayed to the others (leader) or got from the leader (follower). */
  relayedIn: number;
  /** Followers' frames the leader wrote to the socket. */
  relayedOut: number;
  /** Times this tab took the lead. */
  takeovers: number;
}

/**
 * A following tab's connection in shared mode: the shared socket's
 * readyState, url, protocol and extensions, a send that goes through the
 * leading tab, close() that ends only this tab's use of it, and the
 * WebSocket events. It is not `instanceof WebSocket`; bufferedAmount counts
 * what this tab sent that the leader has not yet written.
 */
export interface KissWebsocketStandIn extends EventTarget {
  readonly url: string;
  readonly readyState: number;
  readonly protocol: string;
  readonly extensions: string;
  readonly bufferedAmount: number;
  binaryType: BinaryType;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => any) | null;
  onmessage: ((ev: MessageEvent<string>) => any) | null;
  onclose: ((ev: CloseEvent) => any) | null;
  onerror: ((ev: Event) => any) | null;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
}

/**
 * A JSON object message from the server, as published on its channel (with
 * websocket = true). Arrays (websocket = true as well), numbers, strings and
 * booleans are published too, on no channel: only "*" subscribers see them.
 */
export interface KissWebsocketMessage {
  channel?: string;
  websocket: true;
  [key: string]: unknown;
}

export interface KissWebsocket {
  /**
   * The browser's WebSocket of the moment, as in KissJS: created inside
   * init() and, on a reconnection, before EVT_RECONNECTING; a new one for each
   * attempt, so read it again rather than keep it.
   *
   * Before the first init() it is `{}`, not a WebSocket (its readyState is
   * undefined, `instanceof WebSocket` is false); it is typed as WebSocket for
   * what pages do with it after init().
   *
   * In shared mode a following tab's connection is a KissWebsocketStandIn,
   * which has the WebSocket members pages use but is not a WebSocket.
   */
  readonly connection: WebSocket;
  /** Resolves true (opened), false (the attempt failed) or undefined (nothing to do: a socket connecting, open or closing, or a close being handled, e.g. init() from onclose); rejects for invalid config, and with ready's error when the wasm cannot load before the socket opened. */
  init(config?: KissWebsocketConfig): Promise<boolean | undefined>;
  /** Sends JSON.stringify(data); queued while not open. Throws before init(), a TypeError for values JSON cannot carry (undefined, a function, a BigInt, a cycle), a RangeError past outbox.maxBytes, an Error when the outbox is full, and the load error (ready's) once the wasm failed to load. */
  send(data: unknown): void;
  /** Definitive close (no reconnection): each call makes connection.close(4003, "DEFINITIVE_CLOSE"), as KissJS's, unless the socket is CLOSED; resolves once closed. Throws before init(). */
  close(): Promise<void>;
  /** Reconnect now when waiting between attempts, or one more round after giving up. */
  reconnect(): void;
  readonly state: KissWebsocketState;
  /** undefined until the wasm is ready. */
  stats(): KissWebsocketStats | undefined;
  /**
   * For pages without kiss.pubsub: subscribe to an event, a channel or "*".
   * "*" also gets the messages that have no channel, as with kiss.pubsub.
   */
  on(event: KissWebsocketTopic, fn: (data: any) => void): (data: any) => void;
  off(event: KissWebsocketTopic, fn: (data: any) => void): void;
  /** Resolves when the wasm is ready; rejects if it cannot load. */
  readonly ready: Promise<void>;
  readonly version: string;
}
