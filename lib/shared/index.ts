/**
 * `license-manager/shared`: the building blocks `license-manager-issuer` reuses from the embed rather
 * than writing them twice — database setup and migrations, the dialect module, shared secrets, CSRF,
 * the mailer port, page formatting, and the CLI's input/output helpers. Not a host API: it is
 * versioned with the embed and may change in any minor version. Unlike `license-manager/formats`,
 * importing it loads knex and nodemailer.
 */
export { packageRoot, viewsDir } from '../package-root.js';
export * from '../store/connect.js';
export * from '../store/dialects/index.js';
export * from '../store/migrate.js';
export * from '../store/secrets.js';
export * from '../web/csrf.js';
export * from '../web/format.js';
export * from '../notify/mailer.js';
export * from '../cli/io.js';
export { migrateCommand } from '../cli/migrate-command.js';
export * from '../cli/files.js';
export * from '../cli/public-keys.js';
export * from '../redact.js';
