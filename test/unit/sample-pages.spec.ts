import { deviceLabel } from '../../sample/web/device-label';
import { endedReasonMessage } from '../../sample/web/ended-reason.messages';
import { escapeHtml, html } from '../../sample/web/html.template';
import { originAllowed } from '../../sample/web/csrf.guard';
import { SessionEndReason } from '../../src/internal';

describe('sample pages: html template', () => {
  it('escapes every interpolated value, in text and in quoted attributes', () => {
    const hostile = `<script>alert("x")</script>' onmouseover='y' & more`;
    // Prettier would format this template as HTML and change its quotes: the single quotes are the point.
    // prettier-ignore
    const out = html`<p title="${hostile}" data-x='${hostile}'>${hostile}</p>`.value;
    expect(out).not.toContain('<script>');
    expect(out).not.toMatch(/["'] onmouseover/);
    expect(out).toBe(`<p title="${escapeHtml(hostile)}" data-x='${escapeHtml(hostile)}'>${escapeHtml(hostile)}</p>`);
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('nests templates without escaping them twice, renders arrays, and drops null, undefined and false', () => {
    const items = ['a<b', 'c&d'].map((v) => html`<li>${v}</li>`);
    // prettier-ignore
    expect(html`<ul>${items}${null}${undefined}${false}</ul>`.value).toBe('<ul><li>a&lt;b</li><li>c&amp;d</li></ul>');
    expect(html`${0}${true}`.value).toBe('0true');
  });

  it('a plain object is text, not markup, even if it claims to be HTML', () => {
    expect(html`${{ value: '<b>', toString: () => '<b>' }}`.value).toBe('&lt;b&gt;');
  });
});

describe('sample pages: Origin check (scheme, host and port)', () => {
  it.each([
    [undefined, 'localhost:3000', 'http', true],
    ['http://localhost:3000', 'localhost:3000', 'http', true],
    ['http://localhost:3000', 'LOCALHOST:3000', 'http', true],
    ['https://localhost:3000', 'localhost:3000', 'https', true],
    ['https://example.com', 'example.com:443', 'https', true],
    ['http://example.com:80', 'example.com', 'http', true],
    // The same host and port over another scheme is another origin.
    ['https://localhost:3000', 'localhost:3000', 'http', false],
    ['http://localhost:3000', 'localhost:3000', 'https', false],
    ['http://example.com', 'example.com', 'https', false],
    ['http://localhost:3001', 'localhost:3000', 'http', false],
    ['http://evil.example', 'localhost:3000', 'http', false],
    ['http://localhost:3000.evil.example', 'localhost:3000', 'http', false],
    ['null', 'localhost:3000', 'http', false],
    ['not a url', 'localhost:3000', 'http', false],
    ['', 'localhost:3000', 'http', false],
    ['http://localhost:3000', undefined, 'http', false],
    ['http://localhost:3000', 'localhost:3000', 'ftp', false],
  ])('Origin %p with Host %p on %p: %p', (origin, host, scheme, allowed) => {
    expect(originAllowed(origin, host, scheme)).toBe(allowed);
  });

  it('the scheme defaults to http', () => {
    expect(originAllowed('http://localhost:3000', 'localhost:3000')).toBe(true);
    expect(originAllowed('https://localhost:3000', 'localhost:3000')).toBe(false);
  });
});

describe('sample pages: wording', () => {
  it.each([
    [SessionEndReason.evicted, 'You were signed out because of a newer sign-in on another device.'],
    [SessionEndReason.revoked, 'This device was signed out.'],
    [SessionEndReason.absoluteTimeout, 'Your session reached its maximum length. Please sign in again.'],
    ['<script>unknown</script>', 'You were signed out.'],
    [undefined, undefined],
  ])('ended reason %p reads %p', (reason, message) => {
    expect(endedReasonMessage(reason)).toBe(message);
  });

  it.each([
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
      'Safari on iPhone',
    ],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36', 'Chrome on Linux'],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      'Edge on Windows',
    ],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on macOS'],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      'Chrome on Android',
    ],
    ['curl/8.5.0', 'Unknown browser'],
    [undefined, 'Unknown device'],
  ])('device label of %p is %p', (userAgent, label) => {
    expect(deviceLabel(userAgent)).toBe(label);
  });
});
