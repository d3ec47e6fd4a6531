import { startGitHubDouble } from '../doubles/github/github-double.js';
import type { TargetView } from './snapshot.js';
import { GITHUB_FIELD, type SandboxPerson } from './workspace.js';

/**
 * The sandbox's GitHub: the GitHub double with an organization `acme`, its repository `payments` and its
 * people as members (their logins are in their Slack profile field "GitHub"), reached by the github
 * provisioner as a GitHub App whose key pair is made here at every start and never leaves this process.
 */
export async function startGitHubTarget(people: readonly SandboxPerson[]) {
  const github = await startGitHubDouble({ org: 'acme' });
  github.org.addRepo('payments');
  const logins = new Map(people.flatMap((p) => (p.fields?.[GITHUB_FIELD] ? [[p.fields[GITHUB_FIELD], p]] : [])));
  for (const login of logins.keys()) github.org.addMember(login);
  const nameOf = (login: string) => logins.get(login)?.realName ?? login;
  return {
    replacements: {
      SANDBOX_GITHUB_URL: github.url,
      SANDBOX_GITHUB_APP_ID: String(github.appId),
      SANDBOX_GITHUB_INSTALLATION_ID: String(github.installationId),
    },
    secretEnv: { ACCESS_SECRET_SANDBOX_GITHUB_KEY: github.privateKeyPem! },
    view: (): TargetView => ({
      name: 'GitHub repository acme/payments: collaborators and invitations',
      items: [
        ...Object.entries(github.collaborators('payments')).map(
          ([login, role]) => `${nameOf(login)} (${login}): ${role}`,
        ),
        ...github.invitations('payments').map((i) => `${nameOf(i.login)} (${i.login}): ${i.role}, invited`),
      ],
    }),
    stop: () => github.stop(),
  };
}
