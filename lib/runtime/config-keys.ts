/**
 * Keys given by configuration (SPEC 5.3, 22): the `licenseKey` option, `LICENSE_KEY` and the file
 * `LICENSE_KEY_FILE`, read at start, by `reload()`, and — for the file — whenever it changes.
 *
 * The file is watched through its folder, not itself: a Kubernetes Secret changes by swapping the
 * `..data` symbolic link to a new folder and an editor by renaming a new file over the old one, and
 * a watch on the file itself would follow the old inode and never hear of either. The folder the
 * link resolves to is watched too (a plain rewrite of a file reached through a link), and the file
 * is also polled every `pollMs`, for file systems that send no events (NFS, some volume drivers).
 */
import { watch, type FSWatcher } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../host.js';
import type { TrustedKeys } from '../keys/jwk.js';
import { configKey, type RingKey } from '../license/key-ring.js';
import { isUsable } from '../license/evaluate.js';
import type { LicenseState } from '../license/types.js';
import { ORIGIN_ORDER, readSettled, type ConfigOrigin, type ConfigSource } from '../license/config-source.js';
import { refusalReason } from '../license/config-refusal.js';

/** A source whose latest text was refused while the key read from it before stays in force. */
export interface ConfigRefusal {
  origin: ConfigOrigin;
  label: string;
  reason: string;
}

export interface ConfigKeysDeps {
  trusted: TrustedKeys;
  /** the sources as configured now (the environment is read again on each call) */
  sources: () => ConfigSource[];
  /** the state of a key on this server now, judged as the snapshot judges it */
  judge: (key: RingKey) => { state: LicenseState; serverId: string };
  now: () => Date;
  /** called after the keys or refusals changed (the runtime refreshes) */
  changed: () => void;
  logger: Logger;
  /** the wait between the two reads of the file that must agree (default 100 ms) */
  settleMs?: number;
}

/** States in which a configured key is refused: it can never become usable as it is. */
const REFUSED: ReadonlySet<LicenseState> = new Set(['invalid', 'wrong_server', 'expired', 'revoked']);

export class ConfigKeys {
  private readonly keys = new Map<ConfigOrigin, RingKey>();
  private readonly refused = new Map<ConfigOrigin, ConfigRefusal>();
  /** the text each source gave when last judged: a poll that reads the same text does nothing */
  private readonly seen = new Map<ConfigOrigin, string>();
  private watched: { path: string; real: string | null; watchers: FSWatcher[] } | undefined;
  private poll: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  /** one check of the file at a time; a change during a check asks for one more */
  private checking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: ConfigKeysDeps) {}

  /** The configuration keys of the ring, in the order they rank. */
  list(): RingKey[] {
    return ORIGIN_ORDER.flatMap((o) => (this.keys.has(o) ? [this.keys.get(o)!] : []));
  }

  /** Sources whose latest text was refused while their earlier key stays in force. */
  refusals(): ConfigRefusal[] {
    return ORIGIN_ORDER.flatMap((o) => (this.refused.has(o) ? [this.refused.get(o)!] : []));
  }

  /**
   * Reads every source again (SPEC 22 `lm.reload()`). At start nothing is in force yet, so the
   * first reading is taken whatever it is (its state then shows, as any key's).
   * A file that cannot be read at start is a configuration error (TypeError naming it).
   */
  async load(options: { atStart?: boolean } = {}): Promise<void> {
    // NOTE: a reload judges every source again, even one whose text did not change
    this.seen.clear();
    const sources = this.deps.sources();
    for (const origin of ORIGIN_ORDER) {
      if (!sources.some((s) => s.origin === origin)) this.forget(origin);
    }
    for (const source of sources) {
      if (source.path === undefined) {
        await this.take(source, source.text ?? '');
        continue;
      }
      const read = await readSettled(source.path, { settleMs: options.atStart ? 0 : this.deps.settleMs });
      if (!read.ok && options.atStart) throw new TypeError(`LICENSE_KEY_FILE ${source.path} cannot be read: ${read.reason}.`);
      if (read.ok) await this.take(source, read.text);
      else this.refuse(source, read.reason);
    }
    this.rewatch(sources.find((s) => s.origin === 'file')?.path);
  }

  /** Watches the file (see the top of this file) and polls it every `pollMs`. */
  watch(pollMs: number): void {
    const path = this.deps.sources().find((s) => s.origin === 'file')?.path;
    this.rewatch(path);
    if (this.poll || !path) return;
    this.poll = setInterval(() => this.soon(0), pollMs);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    if (this.pending) clearTimeout(this.pending);
    this.unwatch();
    await this.checking;
  }

  private forget(origin: ConfigOrigin): void {
    this.keys.delete(origin);
    this.refused.delete(origin);
    this.seen.delete(origin);
  }

  /**
   * Judges a source's text. An empty text removes the source's key (the operator emptied it). A
   * key that is refused (bad, expired, revoked, another server) does not replace a usable key read
   * from the same source before: that one stays, and the refusal is a warning.
   */
  private async take(source: ConfigSource, text: string): Promise<boolean> {
    const { origin } = source;
    if (this.seen.get(origin) === text && (this.keys.has(origin) || text.trim() === '')) return false;
    this.seen.set(origin, text);
    if (text.trim() === '') {
      const had = this.keys.delete(origin) || this.refused.delete(origin);
      if (had) this.deps.logger.info('The license key from configuration was removed', { source: source.label });
      return had;
    }
    const candidate = await configKey(text, this.deps.trusted, source, this.deps.now());
    const previous = this.keys.get(origin);
    const judged = this.deps.judge(candidate);
    if (REFUSED.has(judged.state) && previous && previous.lid !== candidate.lid && isUsable(this.deps.judge(previous).state)) {
      const reason = refusalReason(candidate, judged.state, judged.serverId);
      this.refused.set(origin, { origin, label: source.label, reason });
      this.deps.logger.warn('The license key from configuration is refused; the key read from it before stays in force', { source: source.label, reason });
      return true;
    }
    this.refused.delete(origin);
    this.keys.set(origin, candidate);
    if (REFUSED.has(judged.state)) {
      this.deps.logger.warn('The license key from configuration is refused', {
        source: source.label,
        reason: refusalReason(candidate, judged.state, judged.serverId),
      });
    } else if (previous?.lid !== candidate.lid) {
      this.deps.logger.info('License key read from configuration', { source: source.label, lid: candidate.lid });
    }
    return true;
  }

  /** The source could not be read: whatever it gave before stays, and the page says why. */
  private refuse(source: ConfigSource, reason: string): void {
    this.refused.set(source.origin, { origin: source.origin, label: source.label, reason });
    this.seen.delete(source.origin);
    this.deps.logger.warn('The license key file cannot be read; the key read from it before stays in force', { source: source.label, reason });
  }

  /** Checks the file soon; events of one change (a Kubernetes swap makes several) make one check. */
  private soon(delayMs = 20): void {
    if (this.stopped || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.checking = this.checking
        .then(() => this.check())
        .catch((err) => {
          this.deps.logger.error('The license key file could not be checked', { error: String(err) });
        });
    }, delayMs);
    this.pending.unref();
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    const source = this.deps.sources().find((s) => s.origin === 'file');
    if (!source?.path) return;
    // a quick look first: most polls find the text judged last time
    const glance = await readSettled(source.path, { settleMs: 0, attempts: 1 });
    if (glance.ok && glance.text === this.seen.get('file') && !this.refused.has('file')) return this.rewatch(source.path);
    const read = await readSettled(source.path, { settleMs: this.deps.settleMs });
    this.rewatch(source.path);
    let changed = false;
    if (read.ok) {
      changed = await this.take(source, read.text);
    } else if (read.unsettled) {
      return this.soon(); // still being written: look again
    } else if (this.refused.get('file')?.reason !== read.reason) {
      this.refuse(source, read.reason);
      changed = true;
    }
    if (changed && !this.stopped) this.deps.changed();
  }

  /** Watches the folder of the path and the folder it resolves to (re-armed when that moves). */
  private rewatch(path: string | undefined): void {
    if (this.stopped) return;
    if (!path) {
      this.unwatch();
      return;
    }
    void realpath(path)
      .catch(() => null)
      .then((real) => {
        if (this.stopped) return;
        if (this.watched && this.watched.path === path && this.watched.real === real) return;
        this.unwatch();
        const watchers: FSWatcher[] = [];
        for (const dir of new Set([dirname(path), ...(real ? [dirname(real)] : [])])) {
          try {
            const w = watch(dir, { persistent: false }, () => this.soon());
            w.on('error', () => this.soon());
            watchers.push(w);
          } catch {
            // a folder that cannot be watched (gone, or no inotify): the poll still reads the file
          }
        }
        this.watched = { path, real, watchers };
      });
  }

  private unwatch(): void {
    for (const w of this.watched?.watchers ?? []) w.close();
    this.watched = undefined;
  }
}
