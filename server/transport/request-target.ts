/**
 * Parsing an HTTP request target (`/path?query`) without trusting it: a
 * target that is not origin-form (`/...`) or does not parse is refused with
 * 400 instead of throwing inside a request listener.
 */
export interface RequestTarget {
  path: string;
  query: URLSearchParams;
}

/** The path and query of `req.url`, or null when it is not a plain `/path?query`. */
export function parseRequestTarget(target: string | undefined): RequestTarget | null {
  const raw = target ?? "/";
  // Absolute-form ("http://[/"), authority-form and "//host" targets are not ours to serve.
  if (!raw.startsWith("/") || raw.startsWith("//")) return null;
  try {
    const url = new URL(raw, "http://localhost");
    return { path: url.pathname, query: url.searchParams };
  } catch {
    return null;
  }
}
