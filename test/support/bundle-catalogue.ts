/**
 * The catalogue the bundle tests share: two flows (Dana approves the database, Alex the cluster and
 * Grafana; everyone may request the database, only Rita the rest) and one bundle over all three, with a
 * requested scope on the database and the cluster.
 */
export const BUNDLE_ACCESS_FILE = `
resources:
  - { name: prod-db, type: database, defaults: { databases: [app, audit] } }
  - { name: k8s-prod, type: kubernetes, defaults: { namespaces: [payments] } }
  - { name: grafana, type: http }
flows:
  - name: databases
    resources: { names: [prod-db] }
    requesters: { everyone: true }
    approvers: { users: [U0DBA1] }
    max_duration: 4h
  - name: ops
    resources: { names: [k8s-prod, grafana] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
bundles:
  - name: incident-responder
    description: Read what an incident needs
    resources:
      - { name: prod-db, tuning: { access: read-only, databases: [app] } }
      - { name: k8s-prod, tuning: { role: view, namespaces: [payments] } }
      - grafana
    duration: 2h
`;
