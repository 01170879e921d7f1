// Interpreter discovery and the "can this Python run monadapter?" check, against real interpreters.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test, before, after } from 'node:test';

import { adapterArgs, choosePython, configuredPython, judgeProbe, probePython } from '../out/interpreter.js';
import { monadapterPython } from './support.mjs';

const PYTHON = monadapterPython();
const TIMEOUT = { timeout: 30_000 };

describe('choosePython', () => {
    test('the launch configuration wins over the selected interpreter', () => {
        assert.deepEqual(choosePython('/opt/py/bin/python', '/venv/bin/python'), {
            executable: '/opt/py/bin/python',
            args: [],
            source: 'launch configuration',
        });
    });

    test('an array `python` keeps its extra arguments in front of -m monadapter', () => {
        const command = choosePython(['/opt/py/bin/python', '-X', 'dev'], undefined);
        assert.deepEqual(command, { executable: '/opt/py/bin/python', args: ['-X', 'dev'], source: 'launch configuration' });
        assert.deepEqual(adapterArgs(command), ['-X', 'dev', '-m', 'monadapter']);
    });

    test('without `python` the Python extension\'s interpreter is used', () => {
        assert.deepEqual(choosePython(undefined, '/venv/bin/python'), {
            executable: '/venv/bin/python',
            args: [],
            source: 'Python extension',
        });
        assert.equal(choosePython('', '/venv/bin/python').source, 'Python extension');
    });

    test('a `python` that is empty or not strings names no interpreter', () => {
        for (const configured of [undefined, null, '', '  ', [], [3], ['python3', 7], { path: 'python3' }]) {
            assert.equal(configuredPython(configured), undefined, JSON.stringify(configured));
        }
    });

    test('with neither, python3 from PATH', () => {
        assert.deepEqual(choosePython(undefined, undefined), { executable: 'python3', args: [], source: 'PATH' });
        assert.equal(choosePython([], '  ').executable, 'python3');
    });
});

describe('probePython', () => {
    let venv;

    before(() => {
        // A real 3.12+ interpreter without monadapter: a fresh venv of the one under test.
        venv = mkdtempSync(path.join(os.tmpdir(), 'monadapter-novenv-'));
        execFileSync(PYTHON, ['-m', 'venv', '--without-pip', venv], { timeout: 60_000 });
    });

    after(() => rmSync(venv, { recursive: true, force: true }));

    test('accepts the interpreter that has monadapter', TIMEOUT, async () => {
        const result = await probePython(choosePython(PYTHON, undefined));
        assert.equal(result.ok, true, result.message);
        assert.ok(result.version[0] === 3 && result.version[1] >= 12, `version ${result.version}`);
    });

    test('accepts an array `python` with interpreter options', TIMEOUT, async () => {
        const result = await probePython(choosePython([PYTHON, '-X', 'dev'], undefined));
        assert.equal(result.ok, true, result.message);
    });

    test('says to pip install monadapter from a clone into a Python that lacks it', TIMEOUT, async () => {
        const bare = path.join(venv, 'bin', 'python');
        const result = await probePython(choosePython(undefined, bare));
        assert.equal(result.ok, false);
        assert.match(result.message, /^monadapter is not installed for /);
        assert.ok(result.message.includes(`"${bare} -m pip install /path/to/monadapter"`), result.message);
        assert.match(result.message, /ModuleNotFoundError: No module named 'monadapter'/);
        assert.match(result.message, /Python: Select Interpreter/);
    });

    test('runs a relative `python` from the given folder, as the adapter will', TIMEOUT, async () => {
        const result = await probePython(choosePython(path.join('bin', 'python'), undefined), { cwd: venv });
        assert.equal(result.ok, false);
        assert.match(result.message, /^monadapter is not installed for bin\/python \(Python 3\.\d+, from launch configuration\)/);
    });

    test('names a missing executable and where it came from', TIMEOUT, async () => {
        const missing = path.join(venv, 'no-such-python');
        const result = await probePython(choosePython(missing, undefined));
        assert.equal(result.ok, false);
        assert.equal(
            result.message,
            `Cannot run ${missing} (from launch configuration): not found. Change "python" in the launch configuration.`,
        );
    });

    test('gives up on an interpreter that does not answer in time', TIMEOUT, async () => {
        // A Python that hangs: its own `-c` runs first and never reaches the probe's. (A 1 ms limit on
        // a working Python was not enough: under load the answer came before node's timer ran.)
        const hanging = { ...choosePython(PYTHON, undefined), args: ['-c', 'import time; time.sleep(60)'] };
        const result = await probePython(hanging, { timeoutMs: 200 });
        assert.equal(result.ok, false);
        assert.match(result.message, /did not answer within 0.2 s when asked for its version/);
    });

    test('rejects something that is not Python', TIMEOUT, async () => {
        // node refuses the probe's `-c SCRIPT` arguments without printing a version.
        const result = await probePython(choosePython(process.execPath, undefined));
        assert.equal(result.ok, false);
        assert.match(result.message, /does not look like a working Python/);
    });
});

describe('judgeProbe', () => {
    const system = { executable: '/usr/bin/python3', args: [], source: 'Python extension' };

    test('an interpreter older than 3.12 is refused with its version', () => {
        const result = judgeProbe(system, 1, '3 11\n', "ModuleNotFoundError: No module named 'monadapter'\n");
        assert.deepEqual(result, {
            ok: false,
            message:
                'monadapter needs Python 3.12 or newer; /usr/bin/python3 (from Python extension) is 3.11. ' +
                'Choose another interpreter with "Python: Select Interpreter", or set "python" in the launch configuration.',
        });
    });

    test('3.12 and 3.13 with monadapter are accepted', () => {
        assert.deepEqual(judgeProbe(system, 0, '3 12\n', ''), { ok: true, version: [3, 12] });
        assert.deepEqual(judgeProbe(system, 0, '3 13\n', ''), { ok: true, version: [3, 13] });
    });

    test('Python 2 is refused as too old, not as broken', () => {
        const result = judgeProbe(system, 1, '2 7\n', 'ImportError: No module named monadapter\n');
        assert.match(result.message, /is 2\.7\./);
    });
});
