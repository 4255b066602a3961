/**
 * What the team channel reads (Slack format) and what the customer's mail says when a key is
 * issued. No key text and no email address goes to the channel.
 */
import type { IssuedLicense } from '../registry/types.js';
import type { Move } from '../registry/moves.js';
import type { MailMessage } from '../registry/mailer.js';
import { lastValidDay } from 'license-manager/shared';

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

export function issuedText(l: IssuedLicense, baseUrl: string): string {
  const users = l.claims.limits.users === undefined ? 'unlimited users' : `${l.claims.limits.users} users`;
  const parts = [
    `License issued for ${l.account}: ${l.type} key ${l.lid} for server ${l.serverId}, ${users}, valid until ${lastValidDay(seconds(l.exp))}, by ${l.issuedBy}`,
  ];
  if (l.opportunityId) parts.push(`opportunity ${l.opportunityId}`);
  return `${parts.join(', ')}. ${baseUrl}/licenses/${l.lid}`;
}

export function emergencyText(l: IssuedLicense, emailed: boolean, baseUrl: string): string {
  return (
    `Emergency license issued for ${l.account}: 10-day key ${l.lid} for ${l.claims.limits.users} users, ticket ${l.ticket}, by ${l.issuedBy}; ` +
    `${emailed ? 'emailed to the requester' : 'the email failed, send it by hand'}. ${baseUrl}/licenses/${l.lid}`
  );
}

/** A move (SPEC 22) for the team channel: issued at once, approved, or waiting for an engineer. */
export function moveText(m: Move, approved: boolean, baseUrl?: string): string {
  const what =
    m.status === 'issued'
      ? `${approved ? `Move approved by ${m.decidedBy}` : 'Move issued within the budget'} for ${m.account}: subscription ${m.subscription} moved from ${m.oldServerId} to ${m.newServerId}, new key ${m.lid}`
      : `Move waiting for an engineer for ${m.account}: subscription ${m.subscription} asks to move from ${m.oldServerId} to ${m.newServerId}`;
  return `${what}. Reason: ${m.reason}${m.whyWaiting && m.status === 'waiting' ? ` (${m.whyWaiting})` : ''}${baseUrl ? ` ${baseUrl}/moves` : ''}`;
}

export function issuedKeyMail(to: string, l: IssuedLicense): MailMessage {
  return {
    to,
    subject: `Your ${l.type} license key for ${l.claims.licensee}`,
    text: [
      'Hello,',
      '',
      `Here is your ${l.type} license key for the instance ${l.serverId}, valid until ${lastValidDay(seconds(l.exp))} (UTC).`,
      'Paste it on the License Manager page of your instance (Set new license).',
      '',
      '-----BEGIN LICENSE KEY-----',
      l.key,
      '-----END LICENSE KEY-----',
      '',
      `License ID: ${l.lid}`,
      '',
    ].join('\n'),
  };
}
