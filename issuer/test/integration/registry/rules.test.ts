// Pure rules and names of the vendor registry: no database needed.
import { expect } from 'chai';
import { CodedError, LicenseError } from '../../../../lib/errors.js';
import { accountName, checkEmergencyEligible, datasetPart, isPaidPlan } from '../../../lib/registry/index.js';

const at = (iso: string) => new Date(iso);
function ruleOf(work: () => unknown): unknown {
  try {
    work();
  } catch (err) {
    expect(err).to.be.instanceOf(CodedError);
    expect((err as CodedError).code).to.equal('EMERGENCY_NOT_ELIGIBLE');
    return (err as CodedError).data.rule;
  }
  return 'allowed';
}

describe('vendor registry rules', () => {
  it('names accounts Company_Name-UniqueAccountID: white space to one underscore, punctuation dropped, case kept', () => {
    expect(accountName('Acme Corp', 'A1001').name).to.equal('Acme_Corp-A1001');
    expect(accountName('  Acme \t  Corp  ', 'A1001').name).to.equal('Acme_Corp-A1001');
    expect(accountName('Acme, Inc.', '42').name).to.equal('Acme_Inc-42');
    expect(accountName('Hewlett-Packard Enterprise', '7').name).to.equal('Hewlett-Packard_Enterprise-7');
    expect(accountName('AT&T', '9').name).to.equal('AT&T-9');
    expect(accountName('Société Générale', 'SG1').name).to.equal('Société_Générale-SG1');
    expect(accountName('Acme Corp', 'A1001').company).to.equal('Acme Corp');
  });

  it('refuses account IDs with a dash or space and company names with nothing left', () => {
    for (const [company, id] of [
      ['Acme', 'A-1'],
      ['Acme', 'A 1'],
      ['Acme', ''],
      ['!!!', '1'],
      ['   ', '1'],
    ]) {
      expect(() => accountName(company!, id!))
        .to.throw(LicenseError)
        .with.property('code', 'VALIDATION_FAILED');
    }
  });

  it('treats every plan but free and trial as paid', () => {
    expect(['enterprise', 'developer', 'datacenter', 'Enterprise'].every(isPaidPlan)).to.equal(true);
    expect(['free', 'trial', 'FREE', ' Trial '].some(isPaidPlan)).to.equal(false);
  });

  it('takes the dataset part after the dash', () => {
    expect(datasetPart('1A2B3C4D-ABCDEFGHIJKLMNOPQRST')).to.equal('ABCDEFGHIJKLMNOPQRST');
  });

  it('judges the 3-day window from the grace days the last key carries', () => {
    // exp 2026-01-11T00:00Z with 3 grace days: the grace period ends 2026-01-14T00:00Z
    const facts = { account: 'Acme_Corp-A1001', plans: ['enterprise'], lastLicense: { lid: 'L1', exp: Date.parse('2026-01-11T00:00:00Z') / 1000, grace: 3 } };
    expect(ruleOf(() => checkEmergencyEligible(facts, at('2026-01-13T23:59:00Z')))).to.equal('still_usable');
    expect(ruleOf(() => checkEmergencyEligible(facts, at('2026-01-14T00:00:00Z')))).to.equal('allowed');
    expect(ruleOf(() => checkEmergencyEligible(facts, at('2026-01-16T23:59:00Z')))).to.equal('allowed');
    expect(ruleOf(() => checkEmergencyEligible(facts, at('2026-01-17T00:00:00Z')))).to.equal('allowed');
    expect(ruleOf(() => checkEmergencyEligible(facts, at('2026-01-17T00:01:00Z')))).to.equal('grace_ended_too_long_ago');
    const noGrace = { ...facts, lastLicense: { ...facts.lastLicense, grace: null } }; // default 14
    expect(ruleOf(() => checkEmergencyEligible(noGrace, at('2026-01-24T23:59:00Z')))).to.equal('still_usable');
  });

  it('checks the paid plan first, then that a license exists', () => {
    expect(ruleOf(() => checkEmergencyEligible({ account: 'A-1', plans: [], lastLicense: null }, at('2026-01-01T00:00:00Z')))).to.equal('no_paid_plan');
    expect(ruleOf(() => checkEmergencyEligible({ account: 'A-1', plans: ['free', 'enterprise'], lastLicense: null }, at('2026-01-01T00:00:00Z')))).to.equal(
      'no_license',
    );
  });
});
