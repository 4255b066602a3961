import type { GlobalAdmin } from '../host.js';

export interface Recipients {
  /** addresses to mail, one per person, duplicates (by case-insensitive address) removed */
  emails: string[];
  /** administrators without an address, by name, for the health panel */
  withoutEmail: string[];
}

/** Who gets the mail: global administrators with an email address (SPEC 7). */
export function recipientsOf(admins: readonly GlobalAdmin[]): Recipients {
  const seen = new Set<string>();
  const emails: string[] = [];
  const withoutEmail: string[] = [];
  for (const admin of admins) {
    const email = typeof admin.email === 'string' ? admin.email.trim() : '';
    if (!email) {
      withoutEmail.push(admin.name?.trim() || '(unnamed administrator)');
      continue;
    }
    const key = email.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    emails.push(email);
  }
  return { emails, withoutEmail };
}
