import { expect } from 'chai';
import { afterFailure, isLocked, LOCK_MS, MAX_FAILED_LOGINS } from '../../../lib/portal/lockout.js';
import { hashPassword, verifyPassword } from '../../../lib/portal/passwords.js';
import { can, PERMISSIONS, ROLE_PERMISSIONS, ROLES } from '../../../lib/portal/permissions.js';

describe('vendor portal policies', () => {
  describe('lockout', () => {
    const t0 = new Date('2026-03-01T10:00:00Z');
    it('locks the name at the 10th failure for exactly 15 minutes', () => {
      let c = { failedLogins: 0, lockedUntil: null as Date | null };
      for (let i = 1; i < MAX_FAILED_LOGINS; i++) {
        c = afterFailure(c, t0);
        expect(isLocked(c, t0), `after ${i} failures`).to.equal(false);
      }
      c = afterFailure(c, t0);
      expect(isLocked(c, t0)).to.equal(true);
      expect(isLocked(c, new Date(t0.getTime() + LOCK_MS - 1))).to.equal(true);
      expect(isLocked(c, new Date(t0.getTime() + LOCK_MS))).to.equal(false);
      // after the lock, counting starts again: one failure does not lock
      const later = new Date(t0.getTime() + LOCK_MS);
      const next = afterFailure(c, later);
      expect(next).to.deep.equal({ failedLogins: 1, lockedUntil: null });
    });
  });

  describe('roles', () => {
    it('are data: support issues emergencies and reads, engineer manages and issues and revokes, sales approves, admin does all', () => {
      expect(ROLES).to.deep.equal(['admin', 'engineer', 'support', 'sales']);
      expect(ROLE_PERMISSIONS.admin).to.deep.equal(PERMISSIONS);
      expect(PERMISSIONS.filter((p) => can('support', p))).to.deep.equal(['read', 'emergency.issue']);
      expect(PERMISSIONS.filter((p) => can('engineer', p))).to.deep.equal(['read', 'customers.write', 'licenses.issue', 'licenses.revoke']);
      expect(PERMISSIONS.filter((p) => can('sales', p))).to.deep.equal(['read', 'licenses.approve']);
      expect(can('nobody' as never, 'read')).to.equal(false);
    });
  });

  describe('passwords', () => {
    it('are scrypt hashes with a salt: the same password twice gives two hashes, both verify, a wrong one does not', async () => {
      const a = await hashPassword('correct horse battery');
      const b = await hashPassword('correct horse battery');
      expect(a).to.match(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
      expect(a).to.not.equal(b);
      expect(await verifyPassword('correct horse battery', a)).to.equal(true);
      expect(await verifyPassword('correct horse batterY', a)).to.equal(false);
      expect(await verifyPassword('x', 'not-a-hash')).to.equal(false);
      expect(await verifyPassword('x', 'scrypt$99999999999$8$1$aa$bb')).to.equal(false);
    });
  });
});
