import type { PlanView } from '../domain/catalog-plan.js';

/** A value in a plan line: quoted when it is empty or holds spaces, so `a b -> c` cannot read two ways. */
const v = (text: string) =>
  text === '(none)' || text === '(a value, hidden)' || (text !== '' && !/\s/.test(text)) ? text : JSON.stringify(text);

const SIGN = { add: '+', change: '~', remove: '-' } as const;

function owner(c: PlanView['changes'][number]): string {
  if (!('takes_over' in c)) return '';
  if (c.takes_over === 'app_home') return '  (made in App Home: the file takes it over)';
  const origin =
    'origin' in c && c.origin ? `group source ${c.origin.source}, group ${c.origin.groupName}` : 'a group source';
  return `  (synced from ${origin}: the file takes it over and the sync no longer updates it)`;
}

/**
 * The plan as a person reads it in a terminal or a pull request, terraform-like:
 * `+ resource prod-db` with its fields, `~ flow oncall` with `max_duration: 4h -> 2h`, `- resource old-db`.
 */
export function planText(view: PlanView, against: string): string {
  const lines: string[] = [];
  for (const c of view.changes) {
    lines.push(`  ${SIGN[c.action]} ${c.kind} ${c.name}${owner(c)}`);
    if (c.action === 'add') for (const f of c.fields) lines.push(`      ${f.field}: ${v(f.after)}`);
    if (c.action === 'change')
      for (const f of c.fields) lines.push(`      ${f.field}: ${v(f.before)} -> ${v(f.after)}`);
  }
  const { add, change, remove } = view.summary;
  const alone = [
    view.left_alone.app_home && `${view.left_alone.app_home} made in App Home`,
    view.left_alone.group_sources && `${view.left_alone.group_sources} synced from group sources`,
  ].filter(Boolean);
  const tail = alone.length ? `\nLeft alone (the file does not name them): ${alone.join(', ')}.` : '';
  if (lines.length === 0) return `No changes: the catalogue in ${against} matches the file.${tail}\n`;
  return `Applying the file to the catalogue in ${against} would:\n\n${lines.join('\n')}\n\nPlan: ${add} to add, ${change} to change, ${remove} to remove.${tail}\n`;
}
