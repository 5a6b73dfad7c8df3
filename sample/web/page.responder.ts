import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PAGE_HEADERS } from './page.layout';

/**
 * Sets page statuses and headers through Nest's HTTP adapter, so the same code answers on
 * Express and Fastify. Handlers use `page`/`redirect` with `@Res({ passthrough: true })` and
 * return the body for Nest to send; exception filters use `send*`.
 */
@Injectable()
export class PageResponder {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  private get adapter() {
    return this.adapterHost.httpAdapter;
  }

  /** Prepares `response` for the page `body` and returns the body for Nest to send. */
  page(response: unknown, body: string, status = 200): string {
    for (const [name, value] of Object.entries(PAGE_HEADERS)) this.adapter.setHeader(response, name, value);
    this.adapter.status(response, status);
    return body;
  }

  /** Adds a `Set-Cookie` header, keeping the ones already set (the session cookie among them). */
  setCookie(response: unknown, setCookie: string): void {
    this.adapter.appendHeader(response, 'Set-Cookie', setCookie);
  }

  /** Sets one response header. */
  setHeader(response: unknown, name: string, value: string): void {
    this.adapter.setHeader(response, name, value);
  }

  /** A 303 to `url` (after a form post the browser follows it with a GET); returns an empty body. */
  redirect(response: unknown, url: string): string {
    this.adapter.setHeader(response, 'Cache-Control', 'no-store');
    this.adapter.setHeader(response, 'Location', url);
    this.adapter.status(response, 303);
    return '';
  }

  /** Sends a page now (from an exception filter). */
  sendPage(response: unknown, body: string, status: number): void {
    for (const [name, value] of Object.entries(PAGE_HEADERS)) this.adapter.setHeader(response, name, value);
    this.adapter.reply(response, body, status);
  }

  /** Sends a 303 to `url` now (from an exception filter). */
  sendRedirect(response: unknown, url: string): void {
    this.adapter.setHeader(response, 'Cache-Control', 'no-store');
    this.adapter.redirect(response, 303, url);
  }
}
