// docs/ARCHITECTURE.md §3 is the folder map, and it must match the tree: every folder under src/ has an
// entry, and every folder an entry names exists. The rule the map is written in is stated in §3 itself:
// in its code block, a line whose first word ends in `/` is a folder; unindented it is a path from the
// repository root, indented it is a subfolder of the nearest folder line above it with less indentation.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const MAP_HEADING = '## 3. Folder map';
const FOLDER_WORD = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/;

/** Every folder below `root`/`dir`, recursively, as a path from `root` ending in `/` ('src/worker/console/http/'). */
function foldersUnder(root: string, dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const path = `${dir}/${entry.name}`;
    found.push(`${path}/`, ...foldersUnder(root, path));
  }
  return found.sort();
}

/** The lines of the first fenced code block after the folder-map heading. */
function folderMapBlock(markdown: string): string[] {
  const lines = markdown.split('\n');
  const heading = lines.findIndex((l) => l.trim() === MAP_HEADING);
  if (heading < 0) throw new Error(`no "${MAP_HEADING}" heading`);
  const open = lines.findIndex((l, i) => i > heading && l.startsWith('```'));
  const close = lines.findIndex((l, i) => i > open && l.startsWith('```'));
  if (open < 0 || close < 0) throw new Error(`no code block under "${MAP_HEADING}"`);
  return lines.slice(open + 1, close);
}

/** The folders the map names, resolved by indentation to paths from the repository root. */
function mappedFolders(block: string[]): string[] {
  const stack: { indent: number; path: string }[] = [];
  const folders: string[] = [];
  for (const line of block) {
    const word = line.trim().split(/\s+/)[0] ?? '';
    if (!FOLDER_WORD.test(word)) continue;
    const indent = line.length - line.trimStart().length;
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const path = indent === 0 || stack.length === 0 ? word : stack[stack.length - 1]!.path + word;
    stack.push({ indent, path });
    folders.push(path);
  }
  return folders;
}

/** Folders of the tree the map lacks, and folders the map names that the tree lacks. */
function compare(root: string, treeFolders: string[], mapped: string[]): { missing: string[]; stale: string[] } {
  const named = new Set(mapped);
  return {
    missing: treeFolders.filter((f) => !named.has(f)),
    stale: mapped.filter((f) => !(existsSync(join(root, f)) && statSync(join(root, f)).isDirectory())),
  };
}

describe('docs/ARCHITECTURE.md §3 folder map', () => {
  const mapped = mappedFolders(folderMapBlock(readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8')));
  const { missing, stale } = compare(ROOT, foldersUnder(ROOT, 'src'), mapped);

  it('has an entry for every folder under src/', () => {
    expect(missing, `folders under src/ without an entry in docs/ARCHITECTURE.md §3: ${missing.join(', ')}`).toEqual([]);
  });

  it('names no folder that does not exist', () => {
    expect(stale, `docs/ARCHITECTURE.md §3 names folders that do not exist: ${stale.join(', ')}`).toEqual([]);
  });
});

describe('the folder-map check itself, on a synthetic tree', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-edge-architecture-'));
  for (const f of ['src/core', 'src/worker/console/http', 'src/worker/orders']) mkdirSync(join(dir, f), { recursive: true });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const map = (body: string) =>
    `# A\n\n${MAP_HEADING}\n\nprose with src/ignored/ outside the block\n\n\`\`\`\n${body}\n\`\`\`\n\n\`\`\`\nsrc/later-block/\n\`\`\`\n`;
  const check = (body: string) => compare(dir, foldersUnder(dir, 'src'), mappedFolders(folderMapBlock(map(body))));

  it('lists every folder of the tree, nested ones included', () => {
    expect(foldersUnder(dir, 'src')).toEqual(['src/core/', 'src/worker/', 'src/worker/console/', 'src/worker/console/http/', 'src/worker/orders/']);
  });

  it('resolves indented entries under their parent, and reads only folder lines of the first block', () => {
    const body = [
      'src/index.ts                  entry',
      'src/core/                     pure',
      '  sign.ts  md5.ts             files are not folders',
      'src/worker/                   the gateway',
      '  console/                    the console',
      '                              a continuation line, then a file: http.ts',
      '    http/                     its routes',
      '  orders/                     orders',
    ].join('\n');
    expect(mappedFolders(folderMapBlock(map(body)))).toEqual([
      'src/core/',
      'src/worker/',
      'src/worker/console/',
      'src/worker/console/http/',
      'src/worker/orders/',
    ]);
    expect(check(body)).toEqual({ missing: [], stale: [] });
  });

  it('accepts a nested folder written as its full path', () => {
    expect(check('src/core/\nsrc/worker/\n  console/\n  orders/\nsrc/worker/console/http/')).toEqual({ missing: [], stale: [] });
  });

  it('names a folder the map lacks', () => {
    expect(check('src/core/\nsrc/worker/\n  console/\n  orders/').missing).toEqual(['src/worker/console/http/']);
  });

  it('names a nested folder placed under the wrong parent', () => {
    const result = check('src/core/\nsrc/worker/\n  console/\n  orders/\n    http/');
    expect(result).toEqual({ missing: ['src/worker/console/http/'], stale: ['src/worker/orders/http/'] });
  });

  it('names an entry whose folder does not exist', () => {
    expect(check('src/core/\nsrc/worker/\n  console/\n    http/\n  orders/\n  routes/').stale).toEqual(['src/worker/routes/']);
  });
});
