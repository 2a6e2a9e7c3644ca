// Just enough of KissJS for the bench: like KissJS, a top-level `const kiss`
// (a global lexical binding, not window.kiss) with a synchronous pubsub that
// calls each channel subscriber in its own try/catch, then the "*" ones.
const kiss = {
  context: {},
  pubsub: (function () {
    "use strict";
    var subs = {}; // channel -> [{id, fn}]
    var lastId = 0;

    function deliver(list, data) {
      if (!list) return;
      for (var i = 0; i < list.length; i++) {
        try { list[i].fn(data); } catch (e) { console.error("kiss.pubsub: a subscriber threw", e); }
      }
    }

    return {
      subscribe: function (channel, fn) {
        var id = "sub-" + (++lastId);
        (subs[channel] || (subs[channel] = [])).push({ id: id, fn: fn });
        return id;
      },
      unsubscribe: function (id) {
        for (var channel in subs) {
          subs[channel] = subs[channel].filter(function (s) { return s.id !== id; });
        }
      },
      publish: function (channel, data) {
        deliver(subs[channel], data);
        if (channel !== "*") deliver(subs["*"], data);
      }
    };
  })()
};
