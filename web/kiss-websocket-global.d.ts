// Opt-in global for kiss-websocket.d.ts: declares `kiss`, with kiss.websocket
// typed, for an app that has no `kiss` declaration of its own. Include it
// beside kiss-websocket.d.ts (tsconfig "files" or "include", or a
// `/// <reference path="kiss-websocket-global.d.ts" />`). A KissJS app that
// already declares `kiss` (`declare const kiss: any;`) leaves this file out and
// casts instead: `kiss.websocket as KissWebsocket`.

import type { KissWebsocket } from "./kiss-websocket";

declare global {
  // KissJS declares `const kiss`; without KissJS the loader creates window.kiss.
  var kiss: { websocket: KissWebsocket; [key: string]: any };
}
