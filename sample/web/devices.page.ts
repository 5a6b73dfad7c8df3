import type { SessionInfo } from '@axess/nestjs-session';
import { deviceLabel } from './device-label';
import { DEVICES_SCRIPT_PATH, liveMessages } from './devices-live.script';
import { html, type SafeHtml } from './html.template';
import { layout } from './page.layout';

/** What the "your devices" page shows. */
export interface DevicesPageModel {
  userId: string;
  sessions: SessionInfo[];
  csrfToken: string;
}

const when = (date: Date): SafeHtml =>
  html`<time datetime="${date.toISOString()}">${date.toISOString().slice(0, 19).replace('T', ' ')} UTC</time>`;

/** A form that is only a button: every state change is a POST carrying the CSRF token. */
function button(action: string, label: string, csrfToken: string, style = '', testId = ''): SafeHtml {
  return html`<form class="inline" method="post" action="${action}">
    <input type="hidden" name="_csrf" value="${csrfToken}" /><button type="submit" class="${style}" data-testid="${testId}">
      ${label}
    </button>
  </form>`;
}

function row(session: SessionInfo, csrfToken: string): SafeHtml {
  const action = session.current
    ? button('/signout', 'sign out', csrfToken, '', 'sign-out')
    : button(`/devices/revoke/${encodeURIComponent(session.handle)}`, 'sign out', csrfToken, '', 'revoke');
  return html`<tr class="${session.current ? 'current' : ''}" data-testid="device" data-current="${session.current}">
    <td class="agent">
      <div class="label">
        <b data-testid="device-label">${deviceLabel(session.userAgent)}</b
        >${session.current ? html`<span class="badge" data-testid="this-device">this device</span>` : ''}
      </div>
      <div class="ua" data-testid="user-agent">${session.userAgent ?? 'no user agent'}</div>
    </td>
    <td data-testid="ip">${session.ip ?? 'unknown'}</td>
    <td class="when">${when(session.authenticatedAt ?? session.createdAt)}</td>
    <td class="when">${when(session.lastSeenAt)}</td>
    <td>${action}</td>
  </tr>`;
}

/**
 * The signed-in user's sessions, oldest first, with the sign-out buttons. Live: its script keeps
 * a WebSocket open (`/ws`), shows why this device was signed out the moment it happens, and
 * redraws the list when another device signs in or out.
 */
export function devicesPage(model: DevicesPageModel): string {
  const count = model.sessions.length;
  return layout(
    'Your devices',
    html`<div class="notice error" data-testid="live-notice" role="alert" hidden></div>
      <p><a href="/" data-testid="sign-in-again" hidden>Sign in again</a></p>
      <div data-live="/ws" data-messages="${JSON.stringify(liveMessages())}" data-state="connecting" data-testid="live"></div>
      <div class="card" data-testid="devices-card">
        <h1>Your devices</h1>
        <p class="sub">Signed in as <b data-testid="user">${model.userId}</b> · ${count} active ${count === 1 ? 'session' : 'sessions'}</p>
        <table>
          <thead>
            <tr>
              <th>Device</th>
              <th>IP</th>
              <th>Signed in</th>
              <th>Last seen</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${model.sessions.map((session) => row(session, model.csrfToken))}
          </tbody>
        </table>
        <div class="actions">
          ${button('/devices/revoke-others', 'sign out all other devices', model.csrfToken, '', 'revoke-others')}
          ${button('/signout-everywhere', 'sign out everywhere', model.csrfToken, 'danger', 'sign-out-everywhere')}
        </div>
        <p class="muted">"Last seen" is approximate: it is derived from the session's remaining idle time.</p>
      </div>
      <script src="${DEVICES_SCRIPT_PATH}" defer></script>`,
  );
}
