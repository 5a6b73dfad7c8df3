import { html } from './html.template';
import { layout } from './page.layout';

/** Answer to a form post that failed the CSRF checks: nothing was changed. */
export function formRejectedPage(): string {
  return layout(
    'Form not accepted',
    html`<div class="card">
      <h1>This form was not accepted</h1>
      <p class="notice error" data-testid="form-rejected">
        It did not come from this site's own page, or the page was too old. Nothing was changed.
      </p>
      <p><a href="/">Back to the start page</a></p>
    </div>`,
  );
}
