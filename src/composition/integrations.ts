import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { jiraTracker } from '../integrations/jira.js';
import { openIdProvider } from '../integrations/oidc.js';
import { createOnCallDirectory } from '../integrations/on-call-directory.js';
import { createOpsgenieClient } from '../integrations/opsgenie.js';
import { createPagerDutyClient } from '../integrations/pagerduty.js';
import type { OnCallDirectory, TicketTracker } from '../services/ports.js';

export interface Integrations {
  /** PagerDuty and Opsgenie, each present only when its token is set. */
  onCall: OnCallDirectory;
  /** Jira Cloud, when JIRA_BASE_URL, JIRA_EMAIL and JIRA_API_TOKEN are set. */
  tickets: TicketTracker | null;
}

/** The outside services flows may consult while a request is made: who is on call, which ticket is open. */
export function buildIntegrations(config: Config, logger: Logger): Integrations {
  const onCall = createOnCallDirectory(
    {
      pagerduty: config.PAGERDUTY_API_TOKEN
        ? createPagerDutyClient({ url: config.PAGERDUTY_API_URL, token: config.PAGERDUTY_API_TOKEN, logger })
        : null,
      opsgenie: config.OPSGENIE_API_KEY
        ? createOpsgenieClient({ url: config.OPSGENIE_API_URL, apiKey: config.OPSGENIE_API_KEY, logger })
        : null,
    },
    { ttlMs: config.ON_CALL_CACHE_SECONDS * 1000 },
  );
  const tickets =
    config.JIRA_BASE_URL && config.JIRA_EMAIL && config.JIRA_API_TOKEN
      ? jiraTracker(
          { baseUrl: config.JIRA_BASE_URL, email: config.JIRA_EMAIL, apiToken: config.JIRA_API_TOKEN },
          logger,
        )
      : null;
  return { onCall, tickets };
}

/** The company's OpenID provider for identity linking and step-up (docs/identity.md); null without OIDC_ISSUER. */
export function buildOpenIdProvider(config: Config, logger: Logger, publicUrl: () => string) {
  if (!config.OIDC_ISSUER || !config.OIDC_CLIENT_ID) return null;
  return openIdProvider(
    {
      issuer: config.OIDC_ISSUER,
      clientId: config.OIDC_CLIENT_ID,
      clientSecret: config.OIDC_CLIENT_SECRET,
      scopes: config.OIDC_SCOPES,
      redirectUri: () => `${publicUrl()}/oidc/callback`,
    },
    logger,
  );
}
