import { html, SafeHtml } from './html.template';

/**
 * Response headers of every page: no caching of pages that list sessions, no framing
 * (clickjacking of the sign-out buttons), and a CSP that allows only the inline stylesheet and
 * forms posting to this origin, scripts from this origin (the devices page's) and connections
 * (fetch, WebSocket) to it.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
};

const STYLE = `
  :root { color-scheme: light; --fg: #1d2330; --muted: #5d6675; --line: #dde2ea; --accent: #2457d6; --danger: #b42318; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: #f4f6fa; }
  main { max-width: 920px; margin: 40px auto; padding: 0 20px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 24px 28px; box-shadow: 0 1px 2px rgba(16,24,40,.05); }
  .narrow { max-width: 480px; margin: 0 auto; }
  .nowrap { white-space: nowrap; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  .sub { color: var(--muted); margin: 0 0 20px; }
  label { display: block; font-weight: 600; margin: 14px 0 4px; }
  label.check { font-weight: 400; }
  input[type=text], input[type=password] { width: 100%; padding: 8px 10px; border: 1px solid #c5ccd8; border-radius: 6px; font: inherit; }
  button { font: inherit; padding: 7px 14px; border-radius: 6px; border: 1px solid #c5ccd8; background: #fff; color: var(--fg); cursor: pointer; }
  button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
  button.danger { color: var(--danger); border-color: #f0b8b3; }
  .notice { padding: 10px 14px; border-radius: 6px; margin: 0 0 16px; background: #fff6e5; border: 1px solid #f5d596; }
  .error { background: #fdecea; border-color: #f5b5ae; }
  table { width: 100%; border-collapse: collapse; margin: 8px 0 20px; }
  th, td { text-align: left; padding: 10px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
  tr.current { background: #f2f6ff; }
  .agent { max-width: 340px; overflow-wrap: anywhere; }
  .label { white-space: nowrap; }
  .ua { color: var(--muted); font-size: 12px; margin-top: 2px; }
  .when { white-space: nowrap; font-size: 14px; }
  button { white-space: nowrap; }
  .badge { display: inline-block; margin-left: 6px; padding: 1px 8px; border-radius: 999px; background: var(--accent); color: #fff; font-size: 12px; }
  .muted { color: var(--muted); font-size: 13px; }
  .actions { display: flex; gap: 10px; flex-wrap: wrap; }
  form.inline { display: inline; }
`;

/** A whole page around `body`. */
export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · axess sample</title>
        <style>
          ${new SafeHtml(STYLE)}
        </style>
      </head>
      <body>
        <main>${body}</main>
      </body>
    </html>`.value;
}
