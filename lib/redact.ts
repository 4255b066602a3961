/**
 * Redaction (SPEC 15.6): no password, license key or email address in any output not meant for
 * it. URLs are printed as `smtp://user:***@host:587`; driver and SMTP errors are stored and shown
 * as a code and a fixed sentence (`failureOf`), and their raw text goes only to the log, with
 * credentials, addresses, keys and the SQL with its bound values removed (`redactError`).
 */
import type { Logger } from './host.js';

const MASK = '***';
const SECRET_PARAMS = /^(pass(word)?|secret|token|api[-_]?key|auth)$/i;

/** A URL with its password (and secret query parameters) masked; text that is not a URL is masked as text. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // not parseable: everything between the scheme and the last "@" may be credentials
    const at = url.lastIndexOf('@');
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
    if (!scheme || at < scheme.length) return redactText(url);
    const user = url.slice(scheme.length, at).split(':')[0];
    return redactText(`${scheme}${user}:${MASK}${url.slice(at)}`);
  }
  if (u.password) u.password = MASK;
  for (const name of [...u.searchParams.keys()]) if (SECRET_PARAMS.test(name)) u.searchParams.set(name, MASK);
  // NOTE: URL re-encodes "***" in the password as "***" (unreserved), and in a query as-is.
  return u.href.replace(/%2A/gi, '*');
}

// `scheme://user:password@` and `scheme://password@` in free text
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*)(:[^\s/@]*)?@/gi;
const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/g;
// three base64url parts, the first a JOSE header (`eyJ` is `{"`): a license key or any JWS
const JWS = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
const SECRET_PAIRS = /\b(pass(word)?|pwd|secret|token)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&)]+)/gi;
// NOTE: knex prepends the statement with its bound values inlined (`insert … values ('eyJ…') - `)
// to the driver's message; the statement is dropped, only the driver's own words are kept.
const SQL_PREFIX =
  /^\s*(select|insert|update|delete|with|create|alter|drop|pragma|begin|commit|rollback|truncate|replace|set|show|lock|savepoint|release)\b[\s\S]* - /i;

/** Free text (an error message, a driver's or SMTP server's reply) with secrets removed. */
export function redactText(text: string): string {
  return text
    .replace(SQL_PREFIX, '')
    .replace(JWS, '[license key]')
    .replace(URL_CREDENTIALS, (_m, scheme: string, user: string, password: string | undefined) =>
      password === undefined ? `${scheme}${MASK}@` : `${scheme}${user}:${MASK}@`,
    )
    .replace(EMAIL, '[address]')
    .replace(SECRET_PAIRS, (_m, name: string, _p, sep: string) => `${name}${sep}${MASK}`);
}

/** An error for the log: its name, message and stack frames (and causes), redacted. */
export function redactError(err: unknown): string {
  if (!(err instanceof Error)) return redactText(String(err));
  const frames = (err.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const code = (err as { code?: unknown }).code;
  const head = `${err.name}${typeof code === 'string' || typeof code === 'number' ? ` [${code}]` : ''}: ${redactText(err.message)}`;
  const cause = err.cause === undefined ? '' : `\ncaused by ${redactError(err.cause)}`;
  return [head, ...frames].join('\n') + cause;
}

function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) return redactError(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value; // a Date, a Buffer: kept as is
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, depth + 1)]));
}

/** The host's logger behind redaction: whatever the module logs passes through it. */
export function redactingLogger(logger: Logger): Logger {
  const wrap = (level: keyof Logger) => (message: string, data?: Record<string, unknown>) =>
    logger[level](redactText(message), data === undefined ? undefined : (redactValue(data) as Record<string, unknown>));
  return { info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

/** What is stored and shown of a failure: a stable code and a fixed sentence, never the raw text. */
export interface Failure {
  code: string;
  message: string;
}

const failures = {
  MAIL_REJECTED: 'The mail server refused the message.',
  MAIL_DEFERRED: 'The mail server asked to try again later.',
  MAIL_AUTH_FAILED: 'The mail server refused the user name or password.',
  MAIL_UNREACHABLE: 'The mail server could not be reached.',
  MAIL_TLS_FAILED: 'The secure connection to the mail server failed.',
  MAIL_FAILED: 'The mail could not be sent.',
  DATABASE_READ_ONLY: 'The database is read-only.',
  DATABASE_UNREACHABLE: 'The database could not be reached.',
  DATABASE_AUTH_FAILED: 'The database refused the user name or password.',
  DATABASE_ERROR: 'The database refused the operation.',
  INTERNAL: 'An unexpected error occurred.',
} as const;

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ESOCKET',
  'ECONNECTION',
  'EDNS',
  'PROTOCOL_CONNECTION_LOST',
]);

const failure = (code: keyof typeof failures, detail = ''): Failure => ({ code, message: failures[code].replace(/\.$/, `${detail}.`) });
const codeOf = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
};

/** An SMTP or network error while mailing, classified by its codes (never by its text). */
export function mailFailure(err: unknown): Failure {
  const code = codeOf(err);
  const reply = (err as { responseCode?: unknown } | null)?.responseCode;
  if (code === 'EAUTH') return failure('MAIL_AUTH_FAILED');
  if (code === 'ETLS') return failure('MAIL_TLS_FAILED');
  if (typeof reply === 'number' && reply >= 500) return failure('MAIL_REJECTED', ` (reply ${reply})`);
  if (typeof reply === 'number' && reply >= 400) return failure('MAIL_DEFERRED', ` (reply ${reply})`);
  if (NETWORK.has(code)) return failure('MAIL_UNREACHABLE');
  return failure('MAIL_FAILED');
}

/** A database driver or pool error, classified by its codes. */
export function databaseFailure(err: unknown): Failure {
  const code = codeOf(err);
  if (code.startsWith('SQLITE_READONLY') || code === '25006' || code === 'ER_OPTION_PREVENTS_STATEMENT') return failure('DATABASE_READ_ONLY');
  if (code === '28P01' || code === '28000' || code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') return failure('DATABASE_AUTH_FAILED');
  if (
    NETWORK.has(code) ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code === '57P01' ||
    code === '3D000' ||
    code === 'ER_BAD_DB_ERROR' ||
    (err as Error | null)?.name === 'KnexTimeoutError'
  ) {
    return failure('DATABASE_UNREACHABLE');
  }
  if (code.startsWith('SQLITE') || code.startsWith('ER_') || /^[0-9A-Z]{5}$/.test(code)) return failure('DATABASE_ERROR');
  return failure('INTERNAL');
}

/**
 * What is stored of an error that stopped a run: a driver's error as its code and sentence, any
 * other (ours, the host's) as its message with secrets removed.
 */
export function storedError(err: unknown): string {
  const failure = databaseFailure(err);
  if (failure.code !== 'INTERNAL') return failureText(failure);
  return redactText(err instanceof Error ? err.message : String(err));
}

/** `CODE: sentence`, the form a failure is stored in. */
export const failureText = (f: Failure): string => `${f.code}: ${f.message}`;
