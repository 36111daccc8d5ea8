// Response headers every page gets (login, setup and the queue board included), and the rewrite that
// keeps bull-board's page from loading fonts off a public CDN: the appliance makes no outbound call
// it was not asked to, and a browser on the admin's desk should not either.

const APP_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";
// bull-board is a React app that sets inline style attributes; its scripts and data still come from us.
const BOARD_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

export function securityHeaders(path: string): Record<string, string> {
  return {
    'content-security-policy': path.startsWith('/queues') ? BOARD_CSP : APP_CSP,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'strict-transport-security': 'max-age=31536000',
  };
}

/** Only the app's own stylesheet may be cached; everything else may show estate data or a token. */
export function cacheControlFor(path: string): string | null {
  return path === '/static/app.css' ? null : 'no-store';
}

/** Removes <link> elements that point off the appliance (bull-board's web fonts); the system font is used instead. */
export function stripExternalLinks(html: string): string {
  return html.replace(/<link\b[^>]*\bhref=["']?(?:https?:)?\/\/[^>]*>/gi, '');
}
