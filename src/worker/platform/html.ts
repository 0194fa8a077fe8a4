// Escaping HTML templates for the checkout pages (hono/html escapes every interpolated string).
import { html as honoHtml, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString;

/** Synchronous: the checkout pages never interpolate promises, so the result is always a string. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return honoHtml(strings, ...values) as Html;
}

/** Trusted markup we generated ourselves (the QR SVG, our own fragments). Never user input. */
export const trusted = (markup: string): Html => raw(markup);
