import { SessionEndReason } from '@axess/nestjs-session';
import { endedReasonMessage } from './ended-reason.messages';

/** Where the devices page loads its script from (same origin: the page's CSP allows `script-src 'self'`). */
export const DEVICES_SCRIPT_PATH = '/assets/devices.js';

/** What the page says for each reason its socket can be closed with (4001), computed on the server from the same table as the sign-in page. */
export function liveMessages(): Record<string, string> {
  const reasons = [SessionEndReason.evicted, SessionEndReason.revoked, SessionEndReason.absoluteTimeout, SessionEndReason.loggedOut];
  const messages: Record<string, string> = { default: endedReasonMessage('other')! };
  for (const reason of reasons) messages[reason] = endedReasonMessage(reason)!;
  return messages;
}

/**
 * The devices page's script (plain browser JavaScript, no framework): it opens `GET /ws`; when
 * the server closes it with 4001 (this session ended on any device or instance), it shows why
 * (the page's `data-messages`) and disables the page's buttons; on `{"type":"devices-changed"}`
 * (another device signed in or out) it fetches `/devices` again and swaps the list in place.
 * An ordinary disconnect (a restart) is retried a few times.
 */
export const DEVICES_SCRIPT = `'use strict';
(() => {
  const root = document.querySelector('[data-live]');
  if (!root) return;
  const messages = JSON.parse(root.getAttribute('data-messages'));
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + root.getAttribute('data-live');
  let retries = 0;

  function card() {
    return document.querySelector('[data-testid="devices-card"]');
  }

  async function refresh() {
    const response = await fetch('/devices', { credentials: 'same-origin', headers: { accept: 'text/html' } });
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').querySelector('[data-testid="devices-card"]');
    if (fresh && card()) card().replaceWith(fresh);
  }

  function signedOut(reason) {
    const notice = document.querySelector('[data-testid="live-notice"]');
    notice.textContent = messages[reason] || messages.default;
    notice.hidden = false;
    for (const button of document.querySelectorAll('button')) button.disabled = true;
    const link = document.querySelector('[data-testid="sign-in-again"]');
    link.hidden = false;
    root.setAttribute('data-state', 'signed-out');
  }

  function connect() {
    const socket = new WebSocket(url);
    socket.addEventListener('open', () => {
      retries = 0;
      root.setAttribute('data-state', 'live');
    });
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'devices-changed') refresh().catch(() => undefined);
    });
    socket.addEventListener('close', (event) => {
      if (event.code === 4001) return signedOut(event.reason);
      root.setAttribute('data-state', 'offline');
      if (retries < 5) setTimeout(connect, 1000 * 2 ** retries++);
    });
  }

  connect();
})();
`;
