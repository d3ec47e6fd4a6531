import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layering of ARCHITECTURE.md is held by eslint.config.js (no-restricted-imports per folder). These
// lint small sources as if they lived at the given paths: each crossing must be an error, and the same
// kind of import from an allowed folder must pass.
const eslint = new ESLint({ cwd: process.cwd() });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the layering lint rule', () => {
  it('fails a service that imports drizzle or the schema', async () => {
    expect(
      await restricted('src/services/fixture-service.ts', "import { eq } from 'drizzle-orm';\nexport const x = eq;\n"),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/services/fixture-service.ts',
        "import { grants } from '../db/schema/index.js';\nexport const x = grants;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/services/fixture-service.ts',
        "import { appendAudit } from '../db/audit-queries.js';\nexport const x = appendAudit;\n",
      ),
    ).toEqual([]);
    expect(
      await restricted('src/db/fixture-queries.ts', "import { eq } from 'drizzle-orm';\nexport const x = eq;\n"),
    ).toEqual([]);
  });

  it('fails a service that imports an integration client, and a client that imports db/ or Slack', async () => {
    expect(
      await restricted(
        'src/services/fixture-service.ts',
        "import { createPagerDutyClient } from '../integrations/pagerduty.js';\nexport const x = createPagerDutyClient;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/integrations/fixture.ts',
        "import { appendAudit } from '../db/audit-queries.js';\nexport const x = appendAudit;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/integrations/fixture.ts',
        "import { mention } from '../slack/mrkdwn.js';\nexport const x = mention;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/integrations/fixture.ts',
        "import type { OnCallAnswer } from '../domain/on-call.js';\nexport type X = OnCallAnswer;\n",
      ),
    ).toEqual([]);
  });

  it('fails a Slack listener that imports db/ or a provisioner', async () => {
    expect(
      await restricted(
        'src/slack/fixture.ts',
        "import { appendAudit } from '../db/audit-queries.js';\nexport const x = appendAudit;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/slack/review/fixture.ts',
        "import { registry } from '../../provisioners/registry.js';\nexport const x = registry;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/slack/fixture.ts',
        "import type { RequestDetails } from '../domain/request.js';\nexport type X = RequestDetails;\n",
      ),
    ).toEqual([]);
  });

  it('fails domain code that imports services, db or I/O', async () => {
    expect(
      await restricted(
        'src/domain/fixture.ts',
        "import { systemClock } from '../services/ports.js';\nexport const x = systemClock;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted('src/domain/fixture.ts', "import { newId } from '../db/ids.js';\nexport const x = newId;\n"),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/domain/fixture.ts',
        "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/domain/fixture.ts',
        "import { z } from 'zod';\nimport { addMinutes } from 'date-fns';\nimport type { Flow } from './flow.js';\nexport const x = [z, addMinutes];\nexport type F = Flow;\n",
      ),
    ).toEqual([]);
  });

  it('fails product code that imports the sandbox, a double or a test helper, wherever in src/ it lives', async () => {
    const sandbox = "import { startSandbox } from '../sandbox/sandbox.js';\nexport const x = startSandbox;\n";
    expect(await restricted('src/fixture.ts', sandbox)).toHaveLength(1);
    const aDouble =
      "import { startOktaDouble } from '../../doubles/okta/okta-double.js';\nexport const x = startOktaDouble;\n";
    // Folders with rules of their own keep this one too.
    for (const file of [
      'src/http/fixture.ts',
      'src/slack/fixture.ts',
      'src/services/fixture.ts',
      'src/integrations/fixture.ts',
    ])
      expect(await restricted(file, aDouble), file).toHaveLength(1);
    expect(
      await restricted(
        'src/jobs/fixture.ts',
        "import { harness } from '../../test/support/harness.js';\nexport const x = harness;\n",
      ),
    ).toHaveLength(1);
    // The sandbox composes the product: that direction is the one allowed.
    expect(
      await restricted(
        'sandbox/fixture.ts',
        "import { createAccessApp } from '../src/app.js';\nimport { FakeSlack } from '../doubles/slack/fake-slack.js';\nexport const x = [createAccessApp, FakeSlack];\n",
      ),
    ).toEqual([]);
  });

  it("fails a double that imports the bot or the sandbox; its tests may drive the bot's client", async () => {
    const botClient = "import { jiraTracker } from '../../src/integrations/jira.js';\nexport const x = jiraTracker;\n";
    expect(await restricted('doubles/jira/fixture.ts', botClient)).toHaveLength(1);
    expect(
      await restricted(
        'doubles/okta/fixture.ts',
        "import { SANDBOX_PEOPLE } from '../../sandbox/workspace.js';\nexport const x = SANDBOX_PEOPLE;\n",
      ),
    ).toHaveLength(1);
    expect(await restricted('doubles/jira/fixture.test.ts', botClient)).toEqual([]);
    expect(
      await restricted(
        'doubles/pagerduty/fixture.ts',
        "import { scheduleAt } from '../support/on-call-rotation.js';\nexport const x = scheduleAt;\n",
      ),
    ).toEqual([]);
  });

  it("fails the CLI or its HTTP client importing the server's side; the contract and the client pass", async () => {
    expect(
      await restricted(
        'src/client/fixture.ts',
        "import { openDatabase } from '../db/client.js';\nexport const x = openDatabase;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/cli/requests/fixture.ts',
        "import { createRequestApi } from '../../services/request-api.js';\nexport const x = createRequestApi;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/cli/requests/fixture.ts',
        "import { ApiError } from '../../domain/request-api.js';\nimport { createHttpAccessApi } from '../../client/http-access-api.js';\nexport const x = [ApiError, createHttpAccessApi];\n",
      ),
    ).toEqual([]);
  });

  it('fails MCP tools that reach past the AccessApi contract; the contract and the SDK pass', async () => {
    expect(
      await restricted(
        'src/mcp/fixture.ts',
        "import { createRequestApi } from '../services/request-api.js';\nexport const x = createRequestApi;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted('src/cli/mcp-stdio.ts', "import { pino } from 'pino';\nexport const x = pino;\n"),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/mcp/fixture.ts',
        "import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';\nimport type { AccessApi } from '../domain/request-api.js';\nexport type X = [McpServer, AccessApi];\n",
      ),
    ).toEqual([]);
  });

  it('fails a port that imports an adapter, the database handle or a service; domain shapes pass', async () => {
    const db = "import type { Db } from '../db/client.js';\nexport type X = Db;\n";
    expect(await restricted('src/services/ports.ts', db)).toHaveLength(1);
    expect(
      await restricted(
        'src/services/ports.ts',
        "import type { DeliveryContext } from './delivery.js';\nexport type X = DeliveryContext;\n",
      ),
    ).toHaveLength(1);
    // Ports split out of ports.ts (ports-messengers.ts) are held to the same rule.
    expect(await restricted('src/services/ports-messengers.ts', db)).toHaveLength(1);
    expect(
      await restricted(
        'src/provisioners/port.ts',
        "import type { Secrets } from './secrets.js';\nexport type X = Secrets;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/services/ports.ts',
        "import type { RequestDetails } from '../domain/request.js';\nexport type X = RequestDetails;\n",
      ),
    ).toEqual([]);
    // The use cases' own bundle of dependencies may name the database handle.
    expect(await restricted('src/services/deps.ts', db)).toEqual([]);
  });
});
