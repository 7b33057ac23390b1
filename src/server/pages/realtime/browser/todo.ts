/// <reference lib="dom" />
/**
 * The hello-todo page: the list of room project-5, built from the changes everyone publishes there
 * (add, toggle, remove). After a reconnect the client recovers the changes missed meanwhile.
 */
import { byId, log, startClient } from './common.js';

const ROOM = 'project-5';
type Messages = {
  'todo.add': { id: string; text: string };
  'todo.toggle': { id: string; done: boolean };
  'todo.remove': { id: string };
};

const client = startClient<Messages>();
const items = new Map<string, { text: string; done: boolean }>();

client.join(ROOM).then(
  () => log(`Joined room ${ROOM}`, 'joined'),
  (error: Error) => log(`Cannot join ${ROOM}: ${error.message}`, 'error'),
);

client.onMessage('todo.add', ({ data }) => {
  items.set(data.id, { text: String(data.text).slice(0, 200), done: false });
  log(`Added “${String(data.text).slice(0, 200)}”`, 'message');
  render();
});
client.onMessage('todo.toggle', ({ data }) => {
  const item = items.get(data.id);
  if (item === undefined) return;
  item.done = data.done === true;
  log(`${item.done ? 'Done' : 'Not done'}: “${item.text}”`, 'message');
  render();
});
client.onMessage('todo.remove', ({ data }) => {
  const item = items.get(data.id);
  if (item === undefined) return;
  items.delete(data.id);
  log(`Removed “${item.text}”`, 'message');
  render();
});

/** A random id (crypto.randomUUID needs a secure context; this page may be served over plain HTTP). */
function newId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
}

function send<K extends keyof Messages & string>(ev: K, data: Messages[K]): void {
  client
    .publish(`room:${ROOM}`, ev, data)
    .catch((error: Error) => log(`Not sent: ${error.message}`, 'error'));
}

function render(): void {
  byId('todo-empty').hidden = items.size > 0;
  byId('todos').replaceChildren(
    ...[...items].map(([id, item]) => {
      const li = document.createElement('li');
      li.className = item.done ? 'done' : '';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.id = `todo-${id}`;
      box.checked = item.done;
      box.addEventListener('change', () => send('todo.toggle', { id, done: box.checked }));
      const label = document.createElement('label');
      label.htmlFor = box.id;
      label.textContent = item.text;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary';
      remove.textContent = 'Remove';
      remove.setAttribute('aria-label', `Remove ${item.text}`);
      remove.addEventListener('click', () => send('todo.remove', { id }));
      li.append(box, label, remove);
      return li;
    }),
  );
}

byId<HTMLFormElement>('todo-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('todo-text');
  const text = input.value.trim();
  if (text === '') return;
  send('todo.add', { id: newId(), text });
  input.value = '';
});
