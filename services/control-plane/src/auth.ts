// Who may see Bull Board and the API: HTTP basic auth (user and password) or a bearer token,
// both from a Secret. Compared in constant time; a failure says nothing about which part
// was wrong.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface Credentials {
  user?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
}

const digest = (value: string) => createHash('sha256').update(value).digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export function hasCredentials(credentials: Credentials): boolean {
  return Boolean((credentials.user && credentials.password) || credentials.token);
}

export function isAuthorized(header: string | undefined, credentials: Credentials): boolean {
  if (!header) return false;
  const [scheme = '', value = ''] = header.split(' ', 2);
  if (scheme.toLowerCase() === 'bearer' && credentials.token) return same(value, credentials.token);
  if (scheme.toLowerCase() === 'basic' && credentials.user && credentials.password) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // both compared, always: no early exit that times the user name
    const userOk = same(decoded.slice(0, colon), credentials.user);
    const passwordOk = same(decoded.slice(colon + 1), credentials.password);
    return userOk && passwordOk;
  }
  return false;
}

/** An onRequest hook for the authenticated scope; open when `credentials` is undefined (dev). */
export function requireAuth(credentials: Credentials | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!credentials) return;
    if (isAuthorized(request.headers.authorization, credentials)) return;
    await reply
      .code(401)
      .header('www-authenticate', 'Basic realm="imagecycle", charset="UTF-8"')
      .send({
        error: 'authentication required',
        message: 'this path needs basic auth or a bearer token',
      });
  };
}
