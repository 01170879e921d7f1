// `npm run package` builds an installable .vsix without network access.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { EXTENSION_ROOT, monadapterPython } from './support.mjs';

const run = promisify(execFile);
const PYTHON = monadapterPython();

/** Reads a zip archive with Python's zipfile, so the test needs no unzip tool. */
const ZIP_READER = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive:
    print(json.dumps({"names": archive.namelist(),
                      "manifest": json.loads(archive.read("extension/package.json"))}))
`;

describe('npm run package', () => {
    let workDir;
    let vsix;

    before(async () => {
        workDir = mkdtempSync(path.join(os.tmpdir(), 'monadapter-vsix-'));
        const out = path.join(workDir, 'monadapter.vsix');
        // stdin is closed so a question from vsce (e.g. a missing field) fails instead of waiting.
        await run('npm', ['run', 'package', '--', '--out', out], { cwd: EXTENSION_ROOT, timeout: 120_000 });
        const { stdout } = await run(PYTHON, ['-c', ZIP_READER, out], { timeout: 30_000 });
        vsix = JSON.parse(stdout);
    }, { timeout: 150_000 });

    after(() => rmSync(workDir, { recursive: true, force: true }));

    test('contains the manifest and the compiled extension', () => {
        assert.ok(vsix.names.includes('extension/package.json'), vsix.names.join('\n'));
        assert.ok(vsix.names.includes('extension/out/extension.js'), vsix.names.join('\n'));
        assert.ok(vsix.names.includes('extension.vsixmanifest'));
    });

    test('contains every module the extension requires', () => {
        let checked = 0;
        for (const name of vsix.names.filter((entry) => entry.startsWith('extension/out/') && entry.endsWith('.js'))) {
            const source = readFileSync(path.join(EXTENSION_ROOT, name.slice('extension/'.length)), 'utf8');
            for (const [, required] of source.matchAll(/require\("(\.\/[^"]+)"\)/g)) {
                const wanted = path.posix.join(path.posix.dirname(name), `${required}.js`);
                assert.ok(vsix.names.includes(wanted), `${name} requires ${required}, which is not in the .vsix`);
                checked += 1;
            }
        }
        assert.ok(checked >= 4, `only ${checked} local requires found: did the build layout change?`);
    });

    test('leaves out sources, tests and node_modules', () => {
        const stray = vsix.names.filter((entry) => /^extension\/(src|test|node_modules)\/|\.ts$|\.map$/.test(entry));
        assert.deepEqual(stray, []);
    });

    test('ships the same package.json, with the debugger contribution', () => {
        const ours = JSON.parse(readFileSync(path.join(EXTENSION_ROOT, 'package.json'), 'utf8'));
        assert.deepEqual(vsix.manifest.contributes, ours.contributes);
        assert.equal(vsix.manifest.main, ours.main);
    });
});
