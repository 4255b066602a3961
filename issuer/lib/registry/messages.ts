/**
 * The sentences of the vendor registry, in one place so that the CLI and the library say the
 * same thing. Each names the facts a support engineer needs to act on (IDs, dates, the rule).
 */
import { formatDay } from 'license-manager/formats';

// NOTE: one date convention with the instance (issue 23.6): a date is the last day something holds,
// "through 24 January 2026", never the exclusive end at midnight after it.
export const registryMessages = {
  companyEmpty: (company: string) => `The company name "${company}" has no letters or digits left to make an account name from.`,
  accountIdInvalid: (id: string) =>
    `The account ID "${id}" must be 1 to 64 letters or digits (no spaces or dashes: the dash separates it from the company name).`,
  accountIdTaken: (id: string, name: string) => `The account ID "${id}" already belongs to the account ${name}.`,
  accountUnknown: (name: string) => `There is no customer account named "${name}" (names look like Company_Name-UniqueAccountID).`,
  planInvalid: (plan: string) => `The plan "${plan}" must be 1 to 64 letters, digits, "-" or "_".`,
  limitInvalid: (name: string, value: unknown) => `The ${name} limit must be a whole number of 0 or more, not ${String(value)}.`,
  editionInvalid: (edition: string) => `The edition "${edition}" must be 1 to 64 letters, digits, "-" or "_".`,
  subscriptionUnknown: (id: string) => `There is no subscription "${id}".`,
  serverIdInvalid: (id: string) => `"${id}" is not a server ID: it looks like XXXXXXXX-YYYYYYYYYYYYYYYYYYYY (8 hex, a dash, 20 base32).`,
  typeInvalid: (type: string) => `A subscription key is of type production or staging, not "${type}" (emergency licenses have their own command).`,
  contractEnded: (id: string, ends: string) =>
    `The contract of subscription ${id} ran through ${formatDay(ends)} (its last day): a key issued now would already be expired. Add a subscription with the new contract end.`,
  instanceTaken: (id: string, bound: string, asked: string) =>
    `Subscription ${id} already has its production instance, ${bound}; a production key for ${asked} needs its own subscription (one subscription is one production instance).`,
  instanceHasSubscription: (serverId: string, other: string, ends: string) =>
    `${serverId} is already the production instance of subscription ${other}, under contract until ${ends}; each instance has its own subscription.`,
  stagingWithoutProduction: (id: string) =>
    `Subscription ${id} has no production instance yet: issue its production key first, then staging keys for server IDs that share its dataset part.`,
  stagingIsProduction: (id: string) =>
    `${id} is the production instance of this subscription itself; a staging key is for the staging copy's server ID (same part after the dash, other part before it).`,
  stagingMismatch: (asked: string, production: string) =>
    `A staging key for ${asked} was refused: a staging server ID shares the part after the dash with the production instance ${production}, and this one does not.`,
  tagInvalid: (tag: string) => `The tag "${tag}" must be 1 to 100 characters without spaces.`,
  featureInvalid: (feature: string) => `The feature "${feature}" must be 1 to 100 characters without spaces.`,
  usersRequired: () => 'An emergency license needs a user count: a whole number of 1 or more.',
  emailInvalid: (email: string) => `"${email}" is not an email address.`,
  textRequired: (what: string) => `${what} must not be empty.`,
  emergencyNoPaidPlan: (account: string, plans: string[]) =>
    `No emergency license for ${account}: it has no paid plan (${plans.length ? `its plans: ${plans.join(', ')}` : 'no subscription'}; free and trial are not paid).`,
  emergencyNoLicense: (account: string) => `No emergency license for ${account}: no license was ever issued to this account.`,
  emergencyNothingToRestore: (account: string) =>
    `No emergency license for ${account}: it was never issued a production license under a paid subscription, so there is no edition, feature or limit to restore (an emergency license gives back what production had). Issue a key from its subscription instead.`,
  emergencyStillUsable: (account: string, lid: string, graceLastDay: string) =>
    `No emergency license for ${account}: its last license ${lid} is still usable through ${formatDay(graceLastDay)} (the last day of its grace period).`,
  emergencyTooLate: (account: string, lid: string, graceEnded: string) =>
    `No emergency license for ${account}: the grace period of its last license ${lid} ran through ${formatDay(graceEnded)}, more than 3 days ago.`,
  emailSent: (email: string, users: number) => `[Success] - Created a license under ${email} for ${users} users`,
  emailFailed: (email: string, reason: string) => `[Failed] - Could not email the license to ${email}: ${reason}`,
  emailPending: (email: string) => `[Pending] - Sending the license to ${email}`,
  emergencyProspect: (account: string) =>
    `No emergency license for ${account}: it is marked as a prospect, and emergency licenses are only for customers with a paid plan (prospects are out of scope).`,
  prospectNeedsApproval: (account: string) => `${account} is a prospect: its keys are issued only once someone in sales approves them.`,
  subscriptionArchived: (id: string) => `Subscription ${id} is archived: it issues no more keys.`,
  expiryNotContract: (id: string, ends: string, asked: string, type: string) =>
    type === 'production'
      ? `A production key of subscription ${id} ends with its contract, on ${ends}, not on ${asked}: renew the subscription to move the end.`
      : `A staging key of subscription ${id} cannot outlast its contract (${ends}); ${asked} is later.`,
  requestUnknown: (id: string) => `There is no license request "${id}" waiting for approval.`,
  requestDecided: (id: string) => `The license request ${id} was already approved.`,
  noSmtp: () => 'no SMTP server is configured (--smtp URL or SMTP_URL)',
  licenseUnknown: (lid: string) => `The registry issued no license with the ID "${lid}".`,
} as const;
