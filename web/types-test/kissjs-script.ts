// The same from a script file (no import or export, so its names are
// global, as in a KissJS app without modules): an import type expression
// names the interface without turning the file into a module.
// Never run: it only has to compile.

type KissjsAppWebsocket = import("../kiss-websocket").KissWebsocket;

function kissjsScriptConnect(): void {
  const ws = kiss.websocket as KissjsAppWebsocket;
  void ws.init({ heartbeat: { delay: 5000 } }).then((opened) => {
    if (opened === undefined) return;
    ws.on("EVT_CONNECTION_LOST", () => ws.reconnect());
  });

  // --- must not type-check ---

  // @ts-expect-error the listener is a function
  ws.on("chat", "not a function");
  // @ts-expect-error init takes a config object
  void ws.init("wss://app.example/ws");
}

kissjsScriptConnect();
