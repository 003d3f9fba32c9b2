// Which requests the studio answers. Bound to a loopback address (the default), the server must
// not be reachable through another name: a web page elsewhere could otherwise point a DNS name at
// 127.0.0.1 (DNS rebinding) and read the API, or POST to it from another origin. So the Host header
// must name a loopback host, and a request that says where it comes from (Origin) must come from the
// studio itself. Bound to another address (`--host 0.0.0.0`), the user chose to serve the network:
// only the cross-origin rule applies.

/** Why a request is refused, or undefined to answer it. */
export function refusal(
  headers: { readonly host?: string | undefined; readonly origin?: string | undefined },
  boundHost: string,
): string | undefined {
  const host = headers.host;
  if (host === undefined || host === '') return 'the request has no Host header';
  if (isLoopback(boundHost) && !isLoopback(hostName(host))) {
    return `the studio answers only on this machine (Host '${host}' is not a loopback name); open it as http://localhost:<port>/`;
  }
  const origin = headers.origin;
  // Browsers send Origin on cross-origin requests and on POSTs; same-origin GETs may omit it.
  if (origin !== undefined && origin !== 'null' && originHost(origin) !== host.toLowerCase()) {
    return `cross-origin request from ${origin} refused`;
  }
  if (origin === 'null') return 'requests from an opaque origin are refused';
  return undefined;
}

/** The host part of a Host header (`[::1]:8080` → `::1`, `localhost:80` → `localhost`). */
export function hostName(host: string): string {
  const lower = host.toLowerCase();
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return end < 0 ? lower : lower.slice(1, end);
  }
  const colon = lower.lastIndexOf(':');
  return colon < 0 ? lower : lower.slice(0, colon);
}

export function isLoopback(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower === 'localhost' ||
    lower.endsWith('.localhost') ||
    lower === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower)
  );
}

/** `http://localhost:8080` → `localhost:8080`; an unparsable origin never matches a host. */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}
