// Plexus's realtime wire protocol (docs/realtime-protocol.md) for the peers' fan-out harness
// (../shared/peers/peers/socketio-fanout/transport-ws.mjs):
//   node peers/socketio-fanout/fanout-load.mjs --transport ws --protocol <this file> \
//        --urls ws://127.0.0.1:A/api/1/ws/bench,ws://127.0.0.1:B/api/1/ws/bench
// Every connection is subscribed to its endpoint's broadcast stream on connect; the publisher sends
// `pub` frames without an id (no acknowledgement, like the peers' publish). A receiver counts as
// ready once it has the answer to a ping sent after connecting: the welcome came first, so the
// connection is registered and subscribed on its instance.
export function buildPublishFrame(msg) {
  return JSON.stringify({ t: 'pub', to: 'broadcast', ev: 'bench', d: msg });
}

// Deliveries are {"t":"msg","s":"broadcast","o":…,"ev":"bench","d":{…}}; everything else
// (welcome, pong, ok) is not a delivery.
export function parseDelivery(data) {
  const text = data.toString();
  if (!text.includes('"t":"msg"')) return null;
  const frame = JSON.parse(text);
  return frame.t === 'msg' ? frame.d : null;
}

export function subscribeFrames() {
  return [JSON.stringify({ t: 'ping', id: 1 })];
}

export function isReady(data) {
  return data.toString().includes('"t":"pong"');
}
