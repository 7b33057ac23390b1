/// <reference lib="dom" />
/** The jpulse-ws-status page: connection details and the status updates the server publishes. */
import { byId, log, startClient } from './common.js';

const client = startClient();
let reconnects = 0;

client.on('open', ({ welcome, reconnected }) => {
  byId('instance').textContent = welcome.instance;
  byId('conn').textContent = welcome.conn;
  if (reconnected) byId('reconnects').textContent = String(++reconnects);
  void measure();
});

async function measure(): Promise<void> {
  try {
    byId('rtt').textContent = `${await client.ping()} ms`;
  } catch {
    byId('rtt').textContent = '–';
  }
}
setInterval(() => {
  if (client.state === 'open') void measure();
}, 5000);

client.on('message', (message) => {
  const text =
    typeof message.data === 'object' && message.data !== null && 'text' in message.data
      ? String((message.data as { text: unknown }).text)
      : JSON.stringify(message.data);
  log(`${new Date().toLocaleTimeString()} ${message.ev}: ${text}`, 'message');
});
