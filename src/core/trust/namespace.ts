/**
 * When two spellings of a DID name the same thing (docs/trust-anchor.md, "No DID has two owners").
 * A did:web host is a DNS name: case-insensitive, a trailing dot names the same host, its port is
 * percent-encoded (`%3A` or `%3a`) and 443 is https's default. So `did:web:ZJ.test%3a443:` is
 * `did:web:zj.test:` as far as owning a namespace goes. Only comparisons of namespaces use this;
 * issuers are still matched exactly (a spelling nobody was granted is simply not accepted).
 */

const DID_WEB = 'did:web:';

/** The form two spellings of one namespace share: lower case, and for did:web the host as DNS and https see it. */
export function comparableDid(did: string): string {
  const lower = did.toLowerCase();
  if (!lower.startsWith(DID_WEB)) return lower;
  const rest = lower.slice(DID_WEB.length);
  const cut = rest.indexOf(':');
  const raw = cut < 0 ? rest : rest.slice(0, cut);
  let host: string;
  try {
    host = decodeURIComponent(raw);
  } catch {
    host = raw;
  }
  host = host
    .replace(/:443$/, '')
    .replace(/\.(?=:|$)/, '')
    .replace(/:/g, '%3a');
  return `${DID_WEB}${host}${cut < 0 ? '' : rest.slice(cut)}`;
}

/** Does the namespace `prefix` (ending in ":") hold `did`, however either is spelled? */
export function inNamespaceOf(did: string, prefix: string): boolean {
  return comparableDid(did).startsWith(comparableDid(prefix));
}

/** Two namespaces overlap when one holds the other: some DID would then have two owners. */
export function namespacesOverlap(a: string, b: string): boolean {
  return inNamespaceOf(a, b) || inNamespaceOf(b, a);
}

/** The host name (no trailing dot) and port ('' for the default) of a URL, or undefined. */
function endpoint(url: string): { hostname: string; port: string } | undefined {
  try {
    const parsed = new URL(url);
    return { hostname: parsed.hostname.replace(/\.$/, ''), port: parsed.port };
  } catch {
    return undefined;
  }
}

/**
 * Is `url` on the host (and port) the did:web DID `issuerId` resolves to? A did:web issuer's status
 * lists live on its own host, so a list URL elsewhere (another authority's list, another province's)
 * is not its to speak about. Undefined for an issuer of another DID method (no rule).
 */
export function urlOfDidWebIssuer(url: string, issuerId: string): boolean | undefined {
  if (!issuerId.startsWith(DID_WEB)) return undefined;
  const rest = issuerId.slice(DID_WEB.length);
  const cut = rest.indexOf(':');
  let decoded: string;
  try {
    decoded = decodeURIComponent(cut < 0 ? rest : rest.slice(0, cut));
  } catch {
    return false;
  }
  const did = endpoint(`https://${decoded}/`);
  const at = endpoint(url);
  return did !== undefined && at !== undefined && did.hostname === at.hostname && did.port === at.port;
}
