import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ENV_VARS } from './defaults.js';
import { describeValue, ErrorCodes, LameduckError } from './errors.js';
import type { Clock, Logger } from './types.js';

/** At most one warning per this interval about refused preStop requests; the rest are counted. */
const REFUSAL_WARN_INTERVAL_MS = 10_000;

/** Header-safe token characters: visible ASCII, no spaces (RFC 6750 `b64token` and more). */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

const HOW_TO_SET =
  `Set a token: LAMEDUCK_PRESTOP_TOKEN from a Secret (env: - name: ${ENV_VARS.preStopToken}, valueFrom: { secretKeyRef: { name: lameduck-prestop, key: token } }), ` +
  `and send it from the hook: lifecycle.preStop.httpGet.httpHeaders: [{ name: Authorization, value: "Bearer <token>" }]. ` +
  'httpHeaders takes literal values only, so render the same Secret value into both at deploy time (Helm, Kustomize), ' +
  "or serve the preStop path only on an admin server no Service exposes: attach(adminServer, { role: 'admin' }) and createProbeRouter(lameduck, { preStopPath, adminOnly: true }).";

/** Reads `preStopToken` (option first, then LAMEDUCK_PRESTOP_TOKEN); undefined when neither is set. */
export function resolvePreStopToken(
  option: unknown,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (option !== undefined) {
    if (typeof option !== 'string' || !TOKEN_PATTERN.test(option)) {
      throw new LameduckError(
        ErrorCodes.INVALID_OPTION,
        `lameduck: option \`preStopToken\` expects a non-empty string of visible ASCII characters without spaces (such as a random hex string), instead got ${describeValue(typeof option === 'string' ? '<redacted>' : option)}.`,
      );
    }
    return option;
  }
  const raw = env[ENV_VARS.preStopToken];
  if (raw === undefined || raw.trim() === '') return undefined;
  const token = raw.trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new LameduckError(
      ErrorCodes.INVALID_ENV,
      `lameduck: environment variable ${ENV_VARS.preStopToken} expects visible ASCII characters without spaces (for example the output of \`openssl rand -hex 32\`); the value set has spaces or control characters.`,
    );
  }
  return token;
}

/** The start-up error for a preStop path enabled with no token and not confined to an admin server. */
export function preStopTokenMissing(path: string): LameduckError {
  return new LameduckError(
    ErrorCodes.PRESTOP_TOKEN_MISSING,
    `lameduck: the preStop path ${path} is enabled without a token, so anyone who reaches the port could stop the pod. ${HOW_TO_SET}`,
  );
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Decides who may start the shutdown through the preStop path. With a token: only a request
 * with `Authorization: Bearer <token>`, compared in constant time (both sides hashed to the
 * same length first, so a token of another length is refused the same way, without throwing).
 * Without a token: only a request that arrived on an admin server.
 */
export class PreStopGate {
  private readonly expected: Buffer | undefined;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;
  /** preStop requests refused so far. */
  refused = 0;

  constructor(
    token: string | undefined,
    private readonly isAdminSocket: (socket: Socket) => boolean,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {
    this.expected = token === undefined ? undefined : digest(token);
  }

  get hasToken(): boolean {
    return this.expected !== undefined;
  }

  allows(req: IncomingMessage): boolean {
    if (this.expected === undefined) return this.isAdminSocket(req.socket);
    const header = req.headers.authorization;
    if (typeof header !== 'string') return false;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (match === null) return false;
    return timingSafeEqual(digest(match[1] ?? ''), this.expected);
  }

  /** Answers 401, logs (rate-limited) who tried; the pod keeps serving. */
  refuse(req: IncomingMessage, res: ServerResponse): void {
    this.refused += 1;
    const body = JSON.stringify({ status: 'unauthorized' });
    if (!res.headersSent) {
      res.statusCode = 401;
      res.setHeader('www-authenticate', 'Bearer realm="lameduck preStop"');
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.setHeader('cache-control', 'no-store');
      res.setHeader('content-length', Buffer.byteLength(body));
      res.end(req.method === 'HEAD' ? undefined : body);
    }
    const now = this.clock.now();
    if (now - this.lastWarnAt < REFUSAL_WARN_INTERVAL_MS) {
      this.suppressed += 1;
      return;
    }
    const suppressed = this.suppressed;
    this.lastWarnAt = now;
    this.suppressed = 0;
    const reason =
      this.expected === undefined
        ? 'no token is set and the request did not arrive on an admin server'
        : req.headers.authorization === undefined
          ? 'no Authorization header'
          : 'wrong token';
    this.logger.warn(
      { code: 'LAMEDUCK_PRESTOP_REFUSED', remoteAddress: req.socket.remoteAddress, reason, suppressed },
      `lameduck: refused a preStop request from ${req.socket.remoteAddress ?? 'an unknown address'} (${reason}); the pod keeps serving${suppressed > 0 ? ` (${suppressed} more refused since the last warning)` : ''}`,
    );
  }
}
