import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The double's own modules import each other without a circle: a circle means two files that cannot
 * be read (or loaded) one without the other, as fake-slack-methods.ts and fake-slack-views.ts once were.
 * Reads the sources with a regex for `from './x.js'` (type-only imports count too: they tie the files
 * just the same for a reader).
 */
const HERE = dirname(fileURLToPath(import.meta.url));

function importGraph(dir: string): Map<string, string[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    const deps = [...text.matchAll(/\bfrom\s+'(\.\/[^']+)\.js'/g)].map((m) => relative(dir, join(dir, `${m[1]!}.ts`)));
    graph.set(
      file,
      [...new Set(deps)].filter((d) => files.includes(d)),
    );
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the path of files that closes it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const walk = (file: string, path: string[]) => {
    const at = path.indexOf(file);
    if (at >= 0) {
      found.push([...path.slice(at), file]);
      return;
    }
    if (done.has(file)) return;
    for (const dep of graph.get(file) ?? []) walk(dep, [...path, file]);
    done.add(file);
  };
  for (const file of graph.keys()) walk(file, []);
  return found;
}

describe('the Slack double imports', () => {
  it('form no cycle', () => {
    const graph = importGraph(HERE);
    expect(graph.size).toBeGreaterThan(10);
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('the walk finds a cycle where there is one (so the test above can fail)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual(['a.ts -> b.ts -> c.ts -> a.ts']);
  });

  it('the regex reads the imports the double writes', () => {
    const graph = importGraph(HERE);
    expect(graph.get('api-dispatch.ts')).toEqual(
      expect.arrayContaining(['fake-slack-methods.ts', 'fake-slack-views.ts', 'method-args.ts']),
    );
    expect(graph.get('fake-slack-views.ts')).not.toContain('fake-slack-methods.ts');
  });
});
