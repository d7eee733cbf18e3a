/**
 * PostgreSQL URLs as the `memoryDb` setting holds them: which values select
 * the PostgreSQL store, and the URL as it may be shown (without its password).
 */

/** True for a URL that selects the PostgreSQL store (postgres:// or postgresql://). */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(value);
}

/** `url` without its password, for messages and logs ("postgres://coda:***@db:5432/coda"). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparsable PostgreSQL URL)";
  }
}

/** The password in `url` (decoded), or undefined: what a logger must scrub. */
export function urlPassword(url: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === "" ? undefined : password;
  } catch {
    return undefined;
  }
}
