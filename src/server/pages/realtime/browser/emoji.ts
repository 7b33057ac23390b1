/// <reference lib="dom" />
/** The hello-emoji page: reaction buttons broadcast to everyone; counts and a feed of what arrives. */
import { byId, log, startClient } from './common.js';

type Messages = { emoji: { emoji: string } };
const client = startClient<Messages>();
const counts = new Map<string, number>();

client.onMessage('emoji', ({ data, from }) => {
  const emoji = typeof data?.emoji === 'string' ? data.emoji.slice(0, 8) : '?';
  counts.set(emoji, (counts.get(emoji) ?? 0) + 1);
  byId('counts').replaceChildren(
    ...[...counts].map(([e, n]) => {
      const item = document.createElement('li');
      item.textContent = `${e} ${n}`;
      return item;
    }),
  );
  log(`${emoji} from ${from ?? 'a guest'}`, 'message');
});

for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>('button[data-emoji]'))) {
  button.addEventListener('click', () => {
    const emoji = button.dataset.emoji ?? '';
    client
      .publish('broadcast', 'emoji', { emoji })
      .catch((error: Error) => log(`Not sent: ${error.message}`, 'error'));
  });
}
