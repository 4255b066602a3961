export { webhookTargets, targetId, type WebhookOption, type WebhookTarget } from './targets.js';
export { dispatchWebhooks, type WebhookDispatchContext } from './dispatch.js';
export { signedHeaders } from './sign.js';
export { WEBHOOK_TIMEOUT_MS } from './post.js';
