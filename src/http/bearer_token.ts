/** The write endpoints' guard: `Authorization: Bearer <API_TOKEN>`, compared in constant time. */
import { timingSafeEqual } from "node:crypto";

const encoder = new TextEncoder();

/** What a 401 carries in `WWW-Authenticate` (RFC 6750): the scheme the API expects. */
export const BEARER_CHALLENGE = 'Bearer realm="identity-sync"';

/** Whether `request` carries `token` as its bearer token (the scheme in any case, RFC 7235). */
export async function hasBearerToken(request: Request, token: string): Promise<boolean> {
  const header = request.headers.get("authorization") ?? "";
  const match = /^bearer +(\S+) *$/i.exec(header);
  if (!match) return false;
  // Hashing first makes both sides the same length, so the comparison time says nothing.
  const [given, expected] = await Promise.all([digest(match[1]!), digest(token)]);
  return timingSafeEqual(given, expected);
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}
