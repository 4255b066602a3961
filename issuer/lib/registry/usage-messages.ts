/** The reasons a usage report is refused or flagged, in one place for the CLI and the portal. */
export const usageMessages = {
  notAReport: (why: string) => `it is not a usage report (${why}).`,
  noInstanceKey: () => 'it does not carry the Ed25519 public key of the instance that signed it.',
  badSignature: () => 'its signature does not match its content: it was altered or damaged after the instance signed it.',
  unknownServer: (serverId: string) =>
    `no subscription has ${serverId} as its production instance. Check the server ID, or issue the subscription's production key for it first.`,
  foreignKey: (kid: string, subscription: string, pinned: string, since: Date) =>
    `it is signed by instance key ${kid}, but subscription ${subscription} has been pinned to instance key ${pinned} since ${since.toISOString().slice(0, 10)} (its first report). A report from another instance, or from a reinstalled one, is not accepted under this subscription.`,
  gap: (from: number, to: number) =>
    from === to
      ? `Report ${from} was never imported: a report is missing before this one.`
      : `Reports ${from} to ${to} were never imported: reports are missing before this one.`,
  chainBroken: (seq: number, before: number) =>
    `Report ${seq} does not follow report ${before} as it was imported (its prev hash differs): the instance's database may have been restored or reset.`,
  sameSeq: (seq: number) => `Another report with number ${seq} was imported before: the instance's database may have been restored from a backup.`,
} as const;
