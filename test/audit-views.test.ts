import { createServer, type IncomingMessage } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { approve, replyTo, requestAccess } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

const secret = `whsec_${Buffer.from('audit-stream-test-secret-0123456').toString('base64')}`;
const received: { id: string; body: any }[] = [];
let failNext = 0;
const receiver = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (failNext > 0) {
      failNext -= 1;
      res.writeHead(503).end();
      return;
    }
    try {
      new Webhook(secret).verify(body, req.headers as Record<string, string>);
      received.push({ id: String(req.headers['webhook-id']), body: JSON.parse(body) });
      res.writeHead(204).end();
    } catch {
      res.writeHead(401).end();
    }
  });
});

let h: Harness;
let id: string;
beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const port = (receiver.address() as { port: number }).port;
  h = await startHarness({ env: { AUDIT_WEBHOOK_URL: `http://127.0.0.1:${port}/siem`, AUDIT_WEBHOOK_SECRET: secret } });
  [id] = (await requestAccess(h, PEOPLE.requester, {
    resources: ['prod-db'],
    duration: '60',
    justification: 'INC-77 <b>bold</b> & more',
  })) as [string];
  await approve(h, PEOPLE.approver, id, { 'tune.access.prod-db': 'read-write' });
});
afterAll(async () => {
  await h?.stop();
  await new Promise((r) => receiver.close(r));
});

async function auditModal(user: string) {
  h.slack.clearViews(user);
  await h.driver.command(user, '/access', `audit ${id}`);
  return until(() => h.slack.topView(user), 'audit modal');
}

describe('/access audit', () => {
  it('shows an approver the whole story in order, with a link to the full record', async () => {
    const modal = await auditModal(PEOPLE.dba);
    const text = JSON.stringify(modal.view.blocks);
    const created = text.indexOf('requested prod-db for 1h through flow support-prod');
    const approved = text.indexOf('approved; granted prod-db: read-write');
    expect(created).toBeGreaterThan(0);
    expect(approved).toBeGreaterThan(created);
    expect(text).toContain('INC-77 &lt;b&gt;bold&lt;/b&gt; &amp; more');
    expect(text).toContain('Every event matches its hash.');
    expect(modal.view.blocks.length).toBeLessThanOrEqual(100);
  });

  it('is refused to people who are neither admins nor approvers of the request', async () => {
    const reply = await replyTo(h, () => h.driver.command(PEOPLE.other, '/access', `audit ${id}`));
    expect(reply.text).toBe('Only admins and approvers of this request can see its audit trail.');
    const mine = await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', `audit ${id}`));
    expect(mine.text).toBe('Only admins and approvers of this request can see its audit trail.');
  });

  it('an admin sees it too', async () => {
    expect(JSON.stringify((await auditModal(PEOPLE.admin)).view.blocks)).toContain(id);
  });
});

describe('the full record page', () => {
  const linkOf = async () => {
    const modal = await auditModal(PEOPLE.approver);
    const button = modal.view.blocks.find((b: any) => b.block_id === 'audit.actions').elements[0];
    return new URL(button.url as string);
  };

  it('opens with the signed link and shows the trail and the granted policy', async () => {
    const url = await linkOf();
    expect(url.pathname).toBe(`/audit/${id}`);
    const res = await fetch(`http://127.0.0.1:${h.port}${url.pathname}${url.search}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain(`Access request <code>${id}</code>`);
    expect(html).toContain('prod-db: read-write (all databases)');
    expect(html).toContain('INC-77 &lt;b&gt;bold&lt;/b&gt; &amp; more');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('request.approved');
  });

  it('refuses a link without a valid signature, and an expired one', async () => {
    const url = await linkOf();
    const forged = new URL(url);
    forged.searchParams.set('sig', `${url.searchParams.get('sig')!.slice(0, -2)}xx`);
    expect((await fetch(`http://127.0.0.1:${h.port}${forged.pathname}${forged.search}`)).status).toBe(403);
    const other = `/audit/req_0000000000${url.search}`;
    expect((await fetch(`http://127.0.0.1:${h.port}${other}`)).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${h.port}/audit/${id}`)).status).toBe(403);
    h.clock.advance(16);
    const res = await fetch(`http://127.0.0.1:${h.port}${url.pathname}${url.search}`);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('expired');
  });
});

describe('streaming to a SIEM webhook', () => {
  it('sends every event once, in order, signed; a refusal is retried without a gap', async () => {
    failNext = 1;
    expect(await h.app.jobs.streamAudit()).toBe(0);
    await h.app.jobs.streamAudit();
    const [{ n }] = (await h.sql`select count(*)::int as n from audit_events`) as unknown as [{ n: number }];
    expect(received.map((r) => r.body.data.id)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(received.map((r) => r.id)).toEqual(received.map((r) => `audit-${r.body.data.id}`));
    expect(received.find((r) => r.body.data.action === 'request.approved')!.body.data.request_id).toBe(id);
    expect(await h.app.jobs.streamAudit()).toBe(0);
  });
});
