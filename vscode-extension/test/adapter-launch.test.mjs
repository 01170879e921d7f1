// The real adapter over stdio and TCP: initialize and launch: the session runs the program.
import assert from 'node:assert/strict';
import path from 'node:path';

import { CALLS, EXITS, forEachTransport, FOREVER } from './dap.mjs';
import { DATA_DIR } from './support.mjs';

forEachTransport('initialize', (test) => {
    test('answers with the capabilities VS Code relies on', async (dc) => {
        const { body } = await dc.initializeRequest();
        assert.equal(body.supportsConfigurationDoneRequest, true);
        assert.equal(body.supportsTerminateRequest, true);
    });

    test('an unknown request gets an error, and the session goes on', async (dc) => {
        await dc.initializeRequest();
        await assert.rejects(dc.customRequest('noSuchRequest', {}), /noSuchRequest/);
        await Promise.all([
            dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
            dc.launchRequest({ code: 'print(6 * 7)' }),
            dc.assertOutput('stdout', '42'),
            dc.waitForEvent('terminated'),
        ]);
    });
});

forEachTransport('launch', (test) => {
    test('runs a program to its end: output on stdout and stderr, then terminated', async (dc) => {
        await Promise.all([
            dc.configurationSequence(),
            dc.launch({ program: CALLS }),
            dc.assertOutput('stdout', 'y is 3'),
            dc.assertOutput('stderr', 'done on stderr'),
            dc.waitForEvent('terminated'),
        ]);
    });

    test('reports the exit code of the program', async (dc) => {
        const [, , exited] = await Promise.all([
            dc.configurationSequence(),
            dc.launch({ program: EXITS }),
            dc.waitForEvent('exited'),
            dc.assertOutput('stdout', 'exiting with 3'),
        ]);
        assert.equal(exited.body.exitCode, 3);
    });

    test('runs a module with -m and its arguments', async (dc) => {
        await Promise.all([
            dc.configurationSequence(),
            dc.launch({ module: 'calendar', args: ['2026', '11'] }),
            dc.assertOutput('stdout', '   November 2026'),
            dc.waitForEvent('terminated'),
        ]);
    });

    test('a missing program fails the launch with a message naming it', async (dc) => {
        await dc.initializeRequest();
        await assert.rejects(dc.launchRequest({ program: path.join(DATA_DIR, 'missing.py') }), /missing\.py/);
    });

    test('terminate (VS Code\'s stop button) ends a program that would run forever', async (dc) => {
        await Promise.all([
            dc.configurationSequence(),
            dc.launch({ program: FOREVER }),
            dc.assertOutput('stdout', 'ready'),
        ]);
        await Promise.all([dc.terminateRequest(), dc.waitForEvent('terminated')]);
    });

    test('stopOnEntry stops before the first line runs', async (dc) => {
        await Promise.all([
            dc.configurationSequence(),
            dc.launch({ program: CALLS, stopOnEntry: true }),
            dc.assertStoppedLocation('entry', { path: CALLS, line: 1 }),
        ]);
    });
});
