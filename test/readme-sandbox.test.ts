import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

/**
 * The README's Sandbox section is a newcomer's first hour: what it names must be what the sandbox shows.
 * Read against the sample catalogue and the sources that draw the page, the modals and the sign-in page.
 */
const root = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const readme = read('README.md');
const sandboxSection = readme.slice(
  readme.indexOf('## Sandbox'),
  readme.indexOf('\n## ', readme.indexOf('## Sandbox') + 1),
);

function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? filesUnder(join(dir, e.name))
      : /\.(ts|js|html)$/.test(e.name) && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}
/**
 * Every text the person sees comes from these: the page, the bot's Block Kit, the sign-in page, and the sample
 * catalogue (its request fields' labels are the form's).
 */
const shown = [
  ...filesUnder('sandbox/public'),
  ...filesUnder('src/slack'),
  'doubles/oidc/sign-in-page.ts',
  'examples/sandbox-access.yml',
]
  .map(read)
  .join('\n');

describe("the README's Sandbox section says what the sandbox does", () => {
  it('every button, panel and field it names in italics is one the sandbox shows, in the same words', () => {
    const labels = [...sandboxSection.matchAll(/(?<![\w`])_([^_\n]+)_(?![\w`])/g)].map((m) => m[1]!);
    expect(labels.length).toBeGreaterThan(3);
    expect(labels.filter((label) => !shown.includes(label))).toEqual([]);
  });

  it('names the sample flows that need a company sign-in, and how it is done', () => {
    const catalogue = parseYaml(read('examples/sandbox-access.yml')) as {
      flows: Array<{ name: string; identity?: unknown }>;
    };
    const signIn = catalogue.flows.filter((f) => f.identity).map((f) => f.name);
    expect(signIn).not.toEqual([]);
    for (const flow of signIn) expect(sandboxSection).toContain(`\`${flow}\``);
    expect(sandboxSection).toContain('_Sign in to approve_');
  });

  it("calls the cloud roles by the tuning modal's word, and says `npm start` prints the URL rather than opening it", () => {
    expect(sandboxSection).toContain('_Roles_');
    expect(sandboxSection).not.toMatch(/permission set/i);
    expect(readme).not.toMatch(/opens the sandbox/);
    expect(readme).toMatch(/prints (the sandbox's|its) URL/);
  });

  it('gives the first build time for a quiet and for a busy machine, not one optimistic figure', () => {
    const claim = /`npm run build`[^)]*\)/.exec(readme)?.[0] ?? '';
    expect(claim).toMatch(/quiet/);
    expect(claim).toMatch(/busy/);
  });
});
