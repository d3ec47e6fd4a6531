import { describe, expect, it } from 'vitest';
import { checkOnCallServices, parseAccessFile } from './catalog-service.js';

const file = (onCall: string, extra = '') => `
resources:
  - { name: db, type: database }
flows:
  - name: oncall
    resources: { names: [db] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR]${onCall} }
${extra}`;
const configured = (...services: string[]) => ({ configured: (s: string) => services.includes(s) });

describe('ACCESS_CONFIG naming an on-call service', () => {
  it('is refused when that service has no credentials, naming the flow and the variable to set', () => {
    const pd = parseAccessFile(file(', on_call: { pagerduty: { escalation_policies: [PPAYPOL] } }'));
    expect(() => checkOnCallServices(pd, configured('opsgenie'))).toThrow(
      'ACCESS_CONFIG: flows[0] (oncall) asks PagerDuty who is on call, but PAGERDUTY_API_TOKEN is not set.',
    );
    const og = parseAccessFile(file(', on_call: { opsgenie: { schedules: [ops-primary] } }'));
    expect(() => checkOnCallServices(og, configured('pagerduty'))).toThrow('OPSGENIE_API_KEY is not set');
    expect(checkOnCallServices(og, configured('opsgenie'))).toBe(og);
  });

  it('checks auto-approval rules too, and leaves flows without on-call alone', () => {
    const rule = parseAccessFile(
      file('', '    auto_approve: [{ name: r, max_duration: 1h, on_call: { pagerduty: { schedules: [PSCHED1] } } }]\n'),
    );
    expect(() => checkOnCallServices(rule, configured())).toThrow('PAGERDUTY_API_TOKEN is not set');
    expect(() => checkOnCallServices(parseAccessFile(file('')), configured())).not.toThrow();
  });

  it('refuses malformed on-call references with the path to fix', () => {
    expect(() => parseAccessFile(file(', on_call: { pagerduty: { schedules: [not-an-id] } }'))).toThrow(
      'flows[0].approvers.on_call.pagerduty.schedules[0]: must be a PagerDuty id like PABC123',
    );
    expect(() => parseAccessFile(file(', on_call: { pagerduty: {} }'))).toThrow(
      'must name at least one schedule or escalation policy',
    );
    expect(() => parseAccessFile(file(', on_call: {}'))).toThrow('must name pagerduty or opsgenie');
  });
});
