import type { AccessFile } from './access-file.js';
import { flowFromFile, resourceFromFile } from './access-file-mapping.js';
import { formatDuration } from './duration.js';
import { approversFor, flowCoversResource, type Flow, type GroupMembers } from './flow.js';
import type { PolicyTest, PolicyTestFile } from './policy-test-file.js';
import { explain, whoCan, type Catalogue, type ExplainAnswer } from './who-can.js';

/**
 * Policy tests: each assertion of a test file evaluated against a catalogue with domain/who-can.ts, the
 * evaluator `/access explain` and the request path share. A failure says what was expected, what is, and
 * which flow or rule makes it so. Pure: the CLI (cli/policy-test.ts) reads the files.
 */

export interface TestOutcome {
  name: string;
  passed: boolean;
  expected: string;
  /** What is, one line per finding (empty when it passed). */
  actual: string[];
}

export interface ReferenceProblem {
  path: string;
  message: string;
}

interface Subject {
  id: string;
  label: string;
  members: GroupMembers;
}

const membersOf =
  (file: PolicyTestFile): GroupMembers =>
  (g) =>
    file.groups[g] ?? [];

/** A person; or every listed member of a group, plus "any member" who is in that group and no other. */
function subjects(file: PolicyTestFile, s: { person?: string | undefined; group?: string | undefined }): Subject[] {
  const members = membersOf(file);
  if (s.person) return [{ id: s.person, label: s.person, members }];
  const group = s.group!;
  const anyone = `any member of ${group}`;
  return [
    ...members(group).map((id) => ({ id, label: `${id} (in ${group})`, members })),
    { id: anyone, label: anyone, members: (g: string) => (g === group ? [...members(g), anyone] : members(g)) },
  ];
}

/** Why a person may request through a flow: the part of its `requesters` that names them. */
function requesterBasis(flow: Flow, id: string, members: GroupMembers): string {
  if (flow.requesterUsers.includes(id)) return `requesters.users names ${id}`;
  const group = flow.requesterGroups.find((g) => members(g).includes(id));
  if (group) return `requesters.groups has ${group}`;
  return 'requesters.everyone is true';
}

function whyCan(catalogue: Catalogue, a: ExplainAnswer, s: Subject): string {
  const flow = catalogue.flows.find((f) => f.name === a.flow!.flow)!;
  const others = a.otherFlows.length ? `; also through ${a.otherFlows.join(', ')}` : '';
  return `${s.label} can request ${a.resource.name} through flow ${flow.name} (${requesterBasis(flow, s.id, s.members)})${others}`;
}

function whyCannot(a: ExplainAnswer, s: Subject): string {
  if (a.decision === 'no_approver')
    return `${s.label} cannot request ${a.resource.name}: flow ${a.flow!.flow} has nobody but them to approve (allow_self_approval: false)`;
  return `${s.label} cannot request ${a.resource.name}: no enabled flow covering it names them as a requester`;
}

function check(file: PolicyTestFile, catalogue: Catalogue, test: PolicyTest): Omit<TestOutcome, 'name'> {
  const all = (c: { resource: string; person?: string | undefined; group?: string | undefined }) =>
    subjects(file, c).map((s) => ({ s, a: explain(catalogue, s.id, c.resource, s.members)! }));
  const who = (c: { person?: string | undefined; group?: string | undefined }) =>
    c.person ?? `every member of ${c.group!}`;
  if (test.can_request) {
    const c = test.can_request;
    const bad = all(c).filter((x) => !x.a.mayRequest);
    return {
      passed: !bad.length,
      expected: `${who(c)} can request ${c.resource}`,
      actual: bad.map((x) => whyCannot(x.a, x.s)),
    };
  }
  if (test.cannot_request) {
    const c = test.cannot_request;
    const bad = all(c).filter((x) => x.a.mayRequest);
    return {
      passed: !bad.length,
      expected: `${who(c)} cannot request ${c.resource}`,
      actual: bad.map((x) => whyCan(catalogue, x.a, x.s)),
    };
  }
  if (test.cannot_break_glass) {
    const c = test.cannot_break_glass;
    const bad = all(c).filter((x) => x.a.breakGlass);
    return {
      passed: !bad.length,
      expected: `${who(c)} cannot break the glass on ${c.resource}`,
      actual: bad.map(
        (x) =>
          `${x.s.label} may break the glass on ${c.resource} through flow ${x.a.breakGlass!.flow} (break_glass, up to ${formatDuration(x.a.breakGlass!.maxDurationMinutes)})`,
      ),
    };
  }
  if (test.max_duration) {
    const c = test.max_duration;
    const longest = (a: ExplainAnswer) =>
      catalogue.flows.filter(
        (f) => (a.flow?.flow === f.name || a.otherFlows.includes(f.name)) && f.maxDurationMinutes > c.at_most,
      );
    const bad = all(c).flatMap((x) => longest(x.a).map((f) => ({ ...x, f })));
    return {
      passed: !bad.length,
      expected: `${who(c)} may request ${c.resource} for at most ${formatDuration(c.at_most)}`,
      actual: bad.map(
        (x) =>
          `${x.s.label} may request ${c.resource} for up to ${formatDuration(x.f.maxDurationMinutes)} through flow ${x.f.name} (max_duration, ${requesterBasis(x.f, x.s.id, x.s.members)})`,
      ),
    };
  }
  if (test.no_self_approval) {
    const flow = catalogue.flows.find((f) => f.name === test.no_self_approval!.flow)!;
    const own = approversFor(flow, membersOf(file), null);
    return {
      passed: !flow.allowSelfApproval,
      expected: `nobody approves their own request in flow ${flow.name}`,
      actual: flow.allowSelfApproval
        ? [
            `flow ${flow.name} has allow_self_approval: true, so ${own.length ? own.join(', ') : 'its approvers'} may approve their own requests`,
          ]
        : [],
    };
  }
  if (test.min_approvals) {
    const c = test.min_approvals;
    const picked = matchingResources(catalogue, c.resources);
    const actual = picked.flatMap((r) =>
      whoCan(catalogue, r.name, membersOf(file))!
        .flows.filter((f) => f.enabled)
        .flatMap((f) => [
          ...(f.approvers.approvalsRequired < c.at_least
            ? [`${r.name} through flow ${f.flow}: approvals_required is ${f.approvers.approvalsRequired}`]
            : []),
          ...f.autoApproval
            .filter((rule) => rule.grantsUntuned)
            .map(
              (rule) =>
                `${r.name} through flow ${f.flow}: none for up to ${formatDuration(rule.maxDurationMinutes)}, auto_approve rule ${rule.rule}`,
            ),
        ]),
    );
    return {
      passed: !actual.length,
      expected: `${picked.map((r) => r.name).join(', ')} need at least ${c.at_least} approvals in every flow`,
      actual,
    };
  }
  const c = (test.approvers_include ?? test.approvers_exclude)!;
  const include = Boolean(test.approvers_include);
  const found = approversOfResource(catalogue, c.resource, c.flow, membersOf(file));
  const missing = include
    ? [
        ...c.users.filter((u) => !found.users.has(u)).map((u) => `${u} approves no request of ${c.resource}`),
        ...c.groups
          .filter((g) => !found.groups.has(g))
          .map((g) => `group ${g} is not an approver group of ${c.resource}`),
      ]
    : [
        ...c.users.filter((u) => found.users.has(u)).map((u) => `${u} approves ${c.resource}: ${found.users.get(u)}`),
        ...c.groups.flatMap((g) =>
          found.groups.has(g)
            ? [`group ${g} approves ${c.resource}: ${found.groups.get(g)}`]
            : (file.groups[g] ?? [])
                .filter((u) => found.users.has(u))
                .map((u) => `${u} (in ${g}) approves ${c.resource}: ${found.users.get(u)}`),
        ),
      ];
  const scope = c.flow ? ` in flow ${c.flow}` : '';
  const names = [...c.users, ...c.groups].join(', ');
  return {
    passed: !missing.length,
    expected: include ? `${names} approve ${c.resource}${scope}` : `${names} never approve ${c.resource}${scope}`,
    actual: missing,
  };
}

function matchingResources(catalogue: Catalogue, sel: { names: string[]; tags: string[] }) {
  return catalogue.resources.filter((r) => sel.names.includes(r.name) || r.tags.some((t) => sel.tags.includes(t)));
}

/** Who decides requests of a resource (approvers and escalation approvers), each with the flow and field that says so. */
function approversOfResource(
  catalogue: Catalogue,
  resource: string,
  onlyFlow: string | undefined,
  members: GroupMembers,
) {
  const users = new Map<string, string>();
  const groups = new Map<string, string>();
  const r = catalogue.resources.find((x) => x.name === resource)!;
  for (const f of catalogue.flows.filter((x) => x.enabled && flowCoversResource(x, r))) {
    if (onlyFlow && f.name !== onlyFlow) continue;
    const note = (field: string) => `flow ${f.name}, ${field}`;
    f.approverUsers.forEach((u) => users.set(u, users.get(u) ?? note('approvers.users')));
    f.lifecycle.escalationUsers.forEach((u) => users.set(u, users.get(u) ?? note('reminders.escalate_to.users')));
    for (const [list, field] of [
      [f.approverGroups, 'approvers.groups'],
      [f.lifecycle.escalationGroups, 'reminders.escalate_to.groups'],
    ] as const) {
      for (const g of list) {
        groups.set(g, groups.get(g) ?? note(`${field} has ${g}`));
        for (const u of members(g)) users.set(u, users.get(u) ?? note(`${field} has ${g}`));
      }
    }
  }
  return { users, groups };
}

function nameOf(test: PolicyTest, i: number): string {
  if (test.name) return test.name;
  const kind = Object.keys(test).find((k) => k !== 'name')!;
  return `tests[${i}] (${kind})`;
}

/** The catalogue an ACCESS_CONFIG file makes (its group sources aside: those need the identity provider). */
export function catalogueFromFile(file: AccessFile): Catalogue {
  return {
    resources: file.resources.map((r) => ({ id: `res_${r.name}`, ...resourceFromFile(r) })),
    flows: file.flows.map((f) => ({ id: `flw_${f.name}`, ...flowFromFile(f) })),
  };
}

/** Names the config does not know (a resource, a flow, a selection matching nothing): a malformed test file. */
export function referenceProblems(file: PolicyTestFile, catalogue: Catalogue): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const resources = new Set(catalogue.resources.map((r) => r.name));
  const flows = new Set(catalogue.flows.map((f) => f.name));
  file.tests.forEach((test, i) => {
    const [kind, body] = Object.entries(test).find(([k]) => k !== 'name') as [string, Record<string, unknown>];
    const at = (field: string) => `tests[${i}].${kind}.${field}`;
    if (typeof body.resource === 'string' && !resources.has(body.resource))
      problems.push({ path: at('resource'), message: `no resource "${body.resource}" in the config` });
    if (typeof body.flow === 'string' && !flows.has(body.flow))
      problems.push({ path: at('flow'), message: `no flow "${body.flow}" in the config` });
    if (test.min_approvals && matchingResources(catalogue, test.min_approvals.resources).length === 0)
      problems.push({ path: at('resources'), message: 'matches no resource in the config' });
  });
  return problems;
}

export function runPolicyTests(file: PolicyTestFile, catalogue: Catalogue): TestOutcome[] {
  return file.tests.map((test, i) => ({ name: nameOf(test, i), ...check(file, catalogue, test) }));
}

/** PASS/FAIL per test, each failure with expected and actual, then the counts. */
export function formatOutcomes(outcomes: readonly TestOutcome[]): string {
  const lines = outcomes.flatMap((o) =>
    o.passed
      ? [`PASS ${o.name}`]
      : [
          `FAIL ${o.name}`,
          `  expected: ${o.expected}`,
          ...o.actual.map((line, i) => `  ${i === 0 ? 'actual:  ' : '         '} ${line}`),
        ],
  );
  const failed = outcomes.filter((o) => !o.passed).length;
  return `${lines.join('\n')}\n\n${outcomes.length - failed} passed, ${failed} failed\n`;
}
