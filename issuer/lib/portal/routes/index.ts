import type { PortalRoute } from '../context.js';
import { accessRoutes } from './access.js';
import { adminRoutes } from './admin.js';
import { customerRoutes } from './customers.js';
import { emergencyRoutes } from './emergency.js';
import { licenseRoutes } from './licenses.js';
import { subscriptionRoutes } from './subscriptions.js';
import { moveRoutes } from './moves.js';

/** Every route behind the sign-in, each with the one permission it needs. Order matters (`/customers/new` before `/customers/:account`). */
export const PORTAL_ROUTES: readonly PortalRoute[] = [
  ...adminRoutes,
  ...accessRoutes,
  ...customerRoutes,
  ...subscriptionRoutes,
  ...licenseRoutes,
  ...emergencyRoutes,
  ...moveRoutes,
];
