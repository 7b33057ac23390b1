/// <reference lib="dom" />
/** The jpulse-ws-test page: join rooms, publish to any audience, log every delivery. */
import type { Target } from '../../../../realtime-client/index.js';
import { byId, log, startClient } from './common.js';

const client = startClient();

client.on('message', (m) => {
  log(
    `${m.stream} #${m.offset} ${m.ev} ${JSON.stringify(m.data)}${m.from === undefined ? '' : ` from ${m.from}`}`,
    'message',
  );
});
client.on('presence', (p) =>
  log(`${p.user} ${p.action === 'join' ? 'joined' : 'left'} ${p.room}`, 'presence'),
);
client.on('open', ({ welcome }) => {
  log(
    `Connected to ${welcome.instance} as ${welcome.user === null ? 'a guest' : welcome.user.id}`,
    'connection',
  );
});

function showRooms(): void {
  const list = byId<HTMLUListElement>('rooms');
  list.replaceChildren(
    ...client.rooms.map((room) => {
      const item = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = room;
      const leave = document.createElement('button');
      leave.type = 'button';
      leave.className = 'secondary';
      leave.textContent = 'Leave';
      leave.setAttribute('aria-label', `Leave ${room}`);
      leave.addEventListener('click', () => {
        client.leave(room).catch((error: Error) => log(`Leave ${room}: ${error.message}`, 'error'));
        showRooms();
      });
      item.append(name, leave);
      return item;
    }),
  );
}

byId<HTMLFormElement>('join-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const room = byId<HTMLInputElement>('room').value.trim();
  if (room === '') return;
  const joining = client.join(room);
  showRooms();
  joining.then(
    ({ offset }) => log(`Joined ${room} at offset ${offset}`, 'joined'),
    (error: Error) => {
      log(`Join ${room}: ${error.message}`, 'error');
      showRooms();
    },
  );
});

byId<HTMLFormElement>('publish-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const result = byId('publish-result');
  const audience = byId<HTMLSelectElement>('audience').value;
  const target = byId<HTMLInputElement>('target').value.trim();
  const to = (audience === 'broadcast' ? 'broadcast' : `${audience}:${target}`) as Target;
  let data: unknown;
  try {
    data = JSON.parse(byId<HTMLTextAreaElement>('payload').value);
  } catch {
    result.textContent = 'The data is not valid JSON.';
    return;
  }
  client.publish(to, byId<HTMLInputElement>('event').value.trim(), data).then(
    ({ offset }) => {
      result.textContent = `Published to ${to} at offset ${offset}.`;
    },
    (error: { code?: string; message: string }) => {
      result.textContent = `Not published: ${error.code ?? ''} ${error.message}`;
    },
  );
});
