import { html } from './html.template';
import { layout } from './page.layout';

/** What the sign-in page shows. */
export interface SignInPageModel {
  /** The session's CSRF token, sent back as a hidden field. */
  csrfToken: string;
  /** Why the visitor's previous session ended, already worded for people. */
  endedMessage?: string;
  /** A failed attempt's message. */
  error?: string;
  /** The username to keep in the field after a failed attempt (client input: escaped). */
  username?: string;
}

/**
 * The sign-in form; it posts to `/signin`. "Keep me signed in" posts `rememberMe=true`, which the
 * module's default `rememberMe.from` reads: a persistent cookie and the longer remembered timeouts.
 */
export function signInPage(model: SignInPageModel): string {
  return layout(
    'Sign in',
    html`<div class="card narrow">
      <h1>Sign in</h1>
      <p class="sub">
        Demo users: <span class="nowrap"><b>alice</b> / alice-password</span> and <span class="nowrap"><b>bob</b> / bob-password</span>.
      </p>
      ${model.endedMessage ? html`<p class="notice" role="status" data-testid="ended-reason">${model.endedMessage}</p>` : ''}
      ${model.error ? html`<p class="notice error" role="alert" data-testid="sign-in-error">${model.error}</p>` : ''}
      <form method="post" action="/signin" data-testid="sign-in-form">
        <input type="hidden" name="_csrf" value="${model.csrfToken}" />
        <label for="username">Username</label>
        <input type="text" id="username" name="username" autocomplete="username" required value="${model.username ?? ''}" />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <label class="check"><input type="checkbox" id="remember-me" name="rememberMe" value="true" /> Keep me signed in</label>
        <p><button class="primary" type="submit">Sign in</button></p>
      </form>
    </div>`,
  );
}
