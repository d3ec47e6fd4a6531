import { createAwsProvisioner } from './aws/aws-provisioner.js';
import { createEntraProvisioner } from './entra/entra-provisioner.js';
import { createGcpProvisioner } from './gcp/gcp-provisioner.js';
import { createMysqlProvisioner } from './mysql/mysql-provisioner.js';
import { createGitHubProvisioner } from './github/github-provisioner.js';
import { createKubernetesProvisioner } from './kubernetes/kubernetes-provisioner.js';
import { createOktaProvisioner } from './okta/okta-provisioner.js';
import type { Provisioner, ProvisionerRegistry } from './port.js';
import { isSecretRef, looksLikeSecretRef, SECRET_REF_FORMS } from './secrets.js';
import { createPostgresProvisioner } from './postgres/postgres-provisioner.js';
import { createSshProvisioner } from './ssh/ssh-provisioner.js';
import { createWebhookProvisioner } from './webhook/webhook-provisioner.js';

/** Every target this bot can grant in, with its production settings (tests add or replace by type). */
export function builtInProvisioners(): Provisioner[] {
  return [
    createPostgresProvisioner(),
    createMysqlProvisioner(),
    createSshProvisioner(),
    createKubernetesProvisioner(),
    createWebhookProvisioner(),
    createAwsProvisioner(),
    createGcpProvisioner(),
    createOktaProvisioner(),
    createEntraProvisioner(),
    createGitHubProvisioner(),
  ];
}

export function createProvisionerRegistry(provisioners: Provisioner[]): ProvisionerRegistry {
  const byType = new Map(provisioners.map((p) => [p.type, p]));
  return {
    get: (type) => byType.get(type),
    types: () => [...byType.keys()].sort(),
    warm(types) {
      for (const type of new Set(types)) void byType.get(type)?.warm?.();
    },
    validate(config) {
      if (!config) return null;
      if ('_yaml_error' in config.settings)
        return `Settings are not valid YAML: ${String(config.settings._yaml_error)}`;
      const p = byType.get(config.type);
      // Before the provisioner's own checks: a reference to anything but a declared secret (the bot's
      // SLACK_SIGNING_SECRET, DATABASE_URL, /etc/…) is refused whatever the field.
      for (const [key, value] of Object.entries(config.settings))
        if (looksLikeSecretRef(value) && !isSecretRef(value))
          return `${key}: ${value} is not a secret the operator declared; use ${SECRET_REF_FORMS}.`;
      if (!p) return `Unknown provisioner "${config.type}"; known: ${[...byType.keys()].sort().join(', ')}.`;
      return p.validateSettings(config.settings);
    },
  };
}
