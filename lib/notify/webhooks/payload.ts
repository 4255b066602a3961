import type { RenderedEmail } from '../render.js';
import type { NotificationFacts, NotificationKind } from '../types.js';

export interface WebhookEvent {
  kind: NotificationKind;
  facts: NotificationFacts;
  productName: string;
  pageUrl: string;
}

/** Slack, Mattermost and Rocket.Chat incoming webhooks: the email's subject and the page's link. */
export function slackBody(event: WebhookEvent, email: RenderedEmail): string {
  return JSON.stringify({ text: `${email.subject}\n${event.pageUrl}` });
}

/** The audit chain's head (SPEC 21): a receiver keeps it, and `audit verify --head entries:hash` checks it later. */
export interface AuditAnchor {
  entries: number;
  hash: string;
  broken?: true;
}

/**
 * The notification itself, in the Standard Webhooks payload shape `{ type, timestamp, data }`,
 * with the audit chain's head as `data.audit` when it is known.
 */
export function jsonBody(event: WebhookEvent, email: RenderedEmail, at: Date, audit?: AuditAnchor): string {
  return JSON.stringify({
    type: `license.${event.kind}`,
    timestamp: at.toISOString(),
    data: { kind: event.kind, summary: email.subject, productName: event.productName, pageUrl: event.pageUrl, ...event.facts, ...(audit ? { audit } : {}) },
  });
}
