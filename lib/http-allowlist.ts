/**
 * Whether a flow's http node may call `url`: http(s) only, and the host must be on the tenant's list,
 * exactly or under a `*.example.com` entry. The simulator applies the same rule, so a flow that passes
 * simulation is not refused on a call.
 */
export function urlAllowed(
  url: string,
  allowHosts: readonly string[],
): { ok: true } | { ok: false; reason: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: `not a URL: ${url}` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: `only http and https URLs may be called, not ${parsed.protocol}` };
  }
  const host = parsed.hostname.toLowerCase();
  const allowed = allowHosts.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith('*.') ? host.endsWith(e.slice(1)) && host.length > e.length - 1 : host === e;
  });
  return allowed ? { ok: true } : { ok: false, reason: `${host} is not on the tenant's HTTP allow-list` };
}

/** A host entry of the allow-list: a host name or IP, optionally `*.` for every subdomain. */
export const ALLOW_HOST_PATTERN = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
