// How the extension completes a debug configuration before VS Code substitutes variables.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { completeConfiguration, currentFileConfiguration } from '../out/configuration.js';

describe('completeConfiguration', () => {
    test('F5 without launch.json debugs the active Python file', () => {
        assert.deepEqual(completeConfiguration({}, 'python'), { config: currentFileConfiguration() });
        assert.equal(currentFileConfiguration().program, '${file}');
    });

    test('F5 without launch.json on a non-Python file says what to do', () => {
        assert.deepEqual(completeConfiguration({}, 'markdown'), {
            error: 'Open a Python file to debug it, or add a "monadapter" configuration to launch.json.',
        });
        assert.ok('error' in completeConfiguration({}, undefined));
    });

    test('a launch needs exactly one of program, module and code', () => {
        const base = { type: 'monadapter', request: 'launch', name: 'x' };
        assert.match(completeConfiguration(base, 'python').error, /Set "program", "module" or "code"/);
        assert.match(completeConfiguration({ ...base, program: '' }, 'python').error, /nothing to run/);
        assert.equal(
            completeConfiguration({ ...base, program: 'a.py', module: 'a' }, 'python').error,
            'Set only one of "program", "module" and "code" in the launch configuration (found program, module).',
        );
        for (const target of [{ program: 'a.py' }, { module: 'pkg.main' }, { code: 'print(1)' }]) {
            assert.deepEqual(completeConfiguration({ ...base, ...target }, 'python'), { config: { ...base, ...target } });
        }
    });

    test('an attach with a port passes through untouched, for the adapter to check its values', () => {
        const base = { type: 'monadapter', request: 'attach', name: 'a' };
        for (const address of [
            { connect: { host: '127.0.0.1', port: 5678 } },
            { connect: { port: 5678 } },
            { connect: { host: 'localhost', port: '${input:port}' } },
            { host: 'localhost', port: 5678 },
            { port: 5678, connect: null },
            { processId: 4242 },
            { processId: '${command:pickProcess}' },
        ]) {
            const attach = { ...base, ...address };
            assert.deepEqual(completeConfiguration(attach, undefined), { config: attach });
        }
    });

    test('an attach without a port says where the port goes', () => {
        const base = { type: 'monadapter', request: 'attach', name: 'a' };
        const expected = {
            error:
                'Set "connect": {"host": "localhost", "port": PORT} in the attach configuration, where PORT is the ' +
                'one the program listens on (python -m monadapter --listen PORT PROGRAM, or monadapter.listen(PORT)), ' +
                'or "processId": "${command:pickProcess}" to attach to a running Python 3.14+ process.',
        };
        for (const address of [{}, { connect: { host: 'localhost' } }, { connect: 'localhost:5678' }, { processId: '' }, { port: '' }]) {
            assert.deepEqual(completeConfiguration({ ...base, ...address }, 'python'), expected, JSON.stringify(address));
        }
    });

    test('missing type and request default to a monadapter launch; the input is not modified', () => {
        const input = { name: 'mine', program: 'main.py', justMyCode: false };
        const result = completeConfiguration(input, undefined);
        assert.deepEqual(result, { config: { ...input, type: 'monadapter', request: 'launch' } });
        assert.deepEqual(input, { name: 'mine', program: 'main.py', justMyCode: false });
    });
});
