/** SPEC 17.2: a receiver that has not answered within 10 s failed; the next run retries. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export type PostOutcome = { ok: true } | { ok: false; error: string };

/**
 * One POST. The outcome is a fixed sentence with a status or an error code: the receiver's
 * answer and the URL (whose path may be a secret) are never stored or shown.
 */
export async function postWebhook(url: string, headers: Record<string, string>, body: string, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<PostOutcome> {
  const host = new URL(url).host;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'license-manager', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true };
    return { ok: false, error: `The webhook at ${host} answered HTTP ${res.status}.` };
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      return { ok: false, error: `The webhook at ${host} did not answer within ${timeoutMs / 1000} s.` };
    return { ok: false, error: `The webhook at ${host} could not be reached (${e.cause?.code ?? 'network error'}).` };
  }
}
