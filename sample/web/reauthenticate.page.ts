import { html } from './html.template';
import { layout } from './page.layout';

/** What the "confirm your password" page shows. */
export interface ReauthenticatePageModel {
  userId: string;
  /** The session's CSRF token, sent back as a hidden field. */
  csrfToken: string;
  /** A failed attempt's message. */
  error?: string;
}

/**
 * "Confirm your password": signing other devices out needs a recent authentication. Posts to
 * `/reauthenticate`, which confirms it and returns to the devices page, where the action can be
 * done again.
 */
export function reauthenticatePage(model: ReauthenticatePageModel): string {
  return layout(
    'Confirm your password',
    html`<div class="card narrow">
      <h1>Confirm your password</h1>
      <p class="sub">Signing other devices out needs a recent sign-in. Signed in as <b>${model.userId}</b>.</p>
      ${model.error ? html`<p class="notice error" role="alert" data-testid="reauthenticate-error">${model.error}</p>` : ''}
      <form method="post" action="/reauthenticate" data-testid="reauthenticate-form">
        <input type="hidden" name="_csrf" value="${model.csrfToken}" />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <p><button class="primary" type="submit">Confirm</button> <a href="/devices">Cancel</a></p>
      </form>
    </div>`,
  );
}
