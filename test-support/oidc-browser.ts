/**
 * A browser as far as the OpenID Provider needs one: it keeps cookies (every cookie sent on every
 * request; the provider's are path-scoped, which changes nothing here) and follows redirects by hand, so a
 * test sees each hop.
 */
export class OidcBrowser {
  private readonly cookies = new Map<string, string>();

  async get(url: string, accept?: string): Promise<Response> {
    const response = await fetch(url, {
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(accept ? { accept } : {}),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      this.cookies.set(name!.trim(), rest.join('='));
    }
    return response;
  }

  /** Follows redirects from `url` until one leaves `origin` (the client's redirect URI) or a page answers. */
  async follow(url: string, origin: string): Promise<{ url: string; response?: Response }> {
    let next = url;
    for (let hop = 0; hop < 10; hop++) {
      if (!next.startsWith(origin)) return { url: next };
      const response = await this.get(next);
      const location = response.headers.get('location');
      if (!location || response.status < 300 || response.status >= 400) return { url: next, response };
      next = new URL(location, next).href;
    }
    throw new Error('too many redirects');
  }
}

/** What the authorization page gives a phone and a browser (`Accept: application/json`). */
export interface OidcInteraction {
  readonly link: string;
  readonly status: string;
  readonly complete: string;
}
