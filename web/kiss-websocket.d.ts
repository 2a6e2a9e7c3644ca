// TypeScript declarations for kiss-websocket's kiss.websocket.

export type KissWebsocketEvent =
  | "EVT_CONNECTED"
  | "EVT_RECONNECTED"
  | "EVT_DISCONNECTED"
  | "EVT_RECONNECTING"
  | "EVT_CONNECTION_LOST"
  | "EVT_CONNECTION_CLOSED"
  | "EVT_UNUSABLE_TOKEN"
  | "EVT_SERVER_GONE";

export interface KissWebsocketConfig {
  /** Socket URL; the token is appended (URL-encoded) only when it ends with "token=". */
  socketUrl?: string;
  /** Port for the default ws:// URL when the host names none (80). */
  port?: number;
  /** Port for the default wss:// URL when the host names none (443). */
  sslPort?: number;
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
}

/** A JSON message from the server, as published on its channel. */
export interface KissWebsocketMessage {
  channel?: string;
  websocket: true;
  [key: string]: unknown;
}

export interface KissWebsocket {
  /** {} before the first init, then an object whose readyState is live. */
  readonly connection: { readonly readyState?: 0 | 1 | 2 | 3 };
  /** Resolves true (opened), false (the attempt failed) or undefined (nothing to do); rejects only for invalid config. */
  init(config?: KissWebsocketConfig): Promise<boolean | undefined>;
  /** Sends JSON.stringify(data); queued while not open. Throws for values JSON cannot carry and when the outbox is full. */
  send(data: unknown): void;
  /** Definitive close (4003, no reconnection); resolves once closed. */
  close(): Promise<void>;
  /** Reconnect now when waiting between attempts, or one more round after giving up. */
  reconnect(): void;
  readonly state: KissWebsocketState;
  /** undefined until the wasm is ready. */
  stats(): KissWebsocketStats | undefined;
  /** For pages without kiss.pubsub: subscribe to an event, a channel or "*". */
  on(event: KissWebsocketEvent | string, fn: (data: any) => void): (data: any) => void;
  off(event: KissWebsocketEvent | string, fn: (data: any) => void): void;
  /** Resolves when the wasm is ready; rejects if it cannot load. */
  readonly ready: Promise<void>;
  readonly version: string;
}

declare global {
  // KissJS declares `const kiss`; without KissJS the loader creates window.kiss.
  var kiss: { websocket: KissWebsocket; [key: string]: any };
}
