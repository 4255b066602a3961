/**
 * What the host product gives the module (SPEC 9): its logger, its administrators and its mail
 * settings. Neutral ground: the manager, the job, the notifications and the page all use these.
 */

export interface Logger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface GlobalAdmin {
  name?: string;
  email?: string;
}

export interface MailOptions {
  /** a nodemailer transport: an SMTP URL, transport options, or a Transport/Transporter */
  transport: unknown;
  from: string;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const consoleLogger: Logger = {
  info: (m, d) => console.log(`[license-manager] ${m}`, d ?? ''),
  warn: (m, d) => console.warn(`[license-manager] ${m}`, d ?? ''),
  error: (m, d) => console.error(`[license-manager] ${m}`, d ?? ''),
};
