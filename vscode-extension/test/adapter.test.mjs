// The real adapter (`python -m monadapter`) driven by VS Code's own test client, over stdio and TCP.
//
// DebugClient facts that shape these tests (shared/notes/dap-clients.md): it passes exactly one
// argument to the runtime, so the module is glued as `-mmonadapter`; in TCP mode every one of its
// timeouts is off, so each test has its own; events are not buffered, so every wait is set up
// before the request that triggers it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';

import { DATA_DIR, monadapterPython } from './support.mjs';

const PYTHON = monadapterPython();
const CALLS = path.join(DATA_DIR, 'calls.py');
const RAISES = path.join(DATA_DIR, 'raises.py');
const EXITS = path.join(DATA_DIR, 'exits.py');

/** Per test: generous, since a hang (not slowness) is what it guards against. */
const TEST = { timeout: 30_000 };
/** How long DebugClient waits for one event or output in stdio mode. */
const EVENT_TIMEOUT_MS = 10_000;
/** Set MONADAPTER_TEST_STDERR=1 to see the adapter's stderr while debugging these tests. */
const SHOW_STDERR = process.env.MONADAPTER_TEST_STDERR === '1';

/** Rejects after `ms`, naming what did not finish: TCP-mode DebugClient calls never time out themselves. */
function within(ms, what, promise) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts `python -m monadapter --port 0` and resolves once it says which port it listens on.
 *
 * Returns:
 *   `{ port, stop }`; `stop()` ends the server process.
 */
function startServer() {
    const server = spawn(PYTHON, ['-m', 'monadapter', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    const stop = () => {
        if (server.exitCode === null && server.signalCode === null) server.kill();
    };
    const listening = new Promise((resolve, reject) => {
        const read = (chunk) => {
            said += chunk.toString();
            if (SHOW_STDERR) process.stderr.write(chunk);
            const match = /monadapter listening on \S+:(\d+)/.exec(said);
            if (match) resolve({ port: Number(match[1]), stop });
        };
        server.stdout.on('data', read);
        server.stderr.on('data', read);
        server.on('error', reject);
        server.on('exit', (code) => reject(new Error(`monadapter --port 0 exited (${code}) before listening: ${said}`)));
    });
    return within(EVENT_TIMEOUT_MS, 'monadapter --port 0 announcing its port', listening).catch((error) => {
        stop();
        throw error;
    });
}

/** How each transport opens a session: a started DebugClient and a function that ends it all. */
const TRANSPORTS = {
    stdio: async () => {
        const dc = new DebugClient(PYTHON, '-mmonadapter', 'monadapter', {}, SHOW_STDERR);
        dc.defaultTimeout = EVENT_TIMEOUT_MS;
        await dc.start();
        return { dc, close: () => within(EVENT_TIMEOUT_MS, 'disconnect', dc.stop()) };
    },
    tcp: async () => {
        const server = await startServer();
        const dc = new DebugClient(PYTHON, '-mmonadapter', 'monadapter');
        await within(EVENT_TIMEOUT_MS, `connecting to port ${server.port}`, dc.start(server.port));
        return {
            dc,
            close: () => within(EVENT_TIMEOUT_MS, 'disconnect', dc.stop()).finally(server.stop),
        };
    },
};

/** Id of the program's main thread (the only one in these programs). */
async function mainThreadId(dc) {
    const { body } = await dc.threadsRequest();
    assert.equal(body.threads.length, 1, JSON.stringify(body.threads));
    return body.threads[0].id;
}

/** The variables of the top frame's first scope whose name says "Locals", as {name: value}. */
async function topFrameLocals(dc, frameId) {
    const { body } = await dc.scopesRequest({ frameId });
    const locals = body.scopes.find((scope) => /local/i.test(scope.name));
    assert.ok(locals, `no Locals scope in ${JSON.stringify(body.scopes)}`);
    const variables = await dc.variablesRequest({ variablesReference: locals.variablesReference });
    return Object.fromEntries(variables.body.variables.map((variable) => [variable.name, variable.value]));
}

/**
 * Launches calls.py with a breakpoint at `line` and waits until it stops there.
 *
 * monadapter, like debugpy, verifies a breakpoint when the code it is in loads: before the
 * program runs, `setBreakpoints` answers `verified: false` with a message, and a `breakpoint`
 * event marks it verified once the module is compiled. Resolves with the stackTrace response.
 */
async function hitBreakpointInCalls(dc, line) {
    const [, , stack] = await dc.hitBreakpoint({ program: CALLS }, { path: CALLS, line, verified: false });
    return stack;
}

/** Sends `step(threadId)` and checks where the program stops next, reason "step". */
async function stepTo(dc, step, threadId, line) {
    const [, stack] = await Promise.all([step({ threadId }), dc.assertStoppedLocation('step', { path: CALLS, line })]);
    return stack.body.stackFrames[0];
}

for (const [transport, open] of Object.entries(TRANSPORTS)) {
    describe(`monadapter over ${transport}`, () => {
        let dc;
        let close;

        beforeEach(async () => {
            ({ dc, close } = await open());
        }, TEST);

        afterEach(async () => {
            await close();
        }, TEST);

        describe('initialize', () => {
            test('answers with the capabilities VS Code relies on', TEST, async () => {
                const { body } = await dc.initializeRequest();
                assert.equal(body.supportsConfigurationDoneRequest, true);
                const filters = (body.exceptionBreakpointFilters ?? []).map((filter) => filter.filter);
                assert.ok(filters.includes('raised') && filters.includes('uncaught'), `filters: ${filters}`);
            });

            test('an unknown request gets an error, and the session goes on', TEST, async () => {
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

        describe('launch', () => {
            test('runs a program to its end: output on stdout and stderr, then terminated', TEST, async () => {
                await Promise.all([
                    dc.configurationSequence(),
                    dc.launch({ program: CALLS }),
                    dc.assertOutput('stdout', 'y is 3'),
                    dc.assertOutput('stderr', 'done on stderr'),
                    dc.waitForEvent('terminated'),
                ]);
            });

            test('reports the exit code of the program', TEST, async () => {
                const [, , exited] = await Promise.all([
                    dc.configurationSequence(),
                    dc.launch({ program: EXITS }),
                    dc.waitForEvent('exited'),
                    dc.assertOutput('stdout', 'exiting with 3'),
                ]);
                assert.equal(exited.body.exitCode, 3);
            });

            test('runs a module with -m and its arguments', TEST, async () => {
                await Promise.all([
                    dc.configurationSequence(),
                    dc.launch({ module: 'calendar', args: ['2026', '11'] }),
                    dc.assertOutput('stdout', '   November 2026'),
                    dc.waitForEvent('terminated'),
                ]);
            });

            test('a missing program fails the launch with a message naming it', TEST, async () => {
                await dc.initializeRequest();
                await assert.rejects(dc.launchRequest({ program: path.join(DATA_DIR, 'missing.py') }), /missing\.py/);
            });

            test('stopOnEntry stops before the first line runs', TEST, async () => {
                await Promise.all([
                    dc.configurationSequence(),
                    dc.launch({ program: CALLS, stopOnEntry: true }),
                    dc.assertStoppedLocation('entry', { path: CALLS, line: 1 }),
                ]);
            });
        });

        describe('setBreakpoints', () => {
            test('verifies a breakpoint when its code loads, then stops there', TEST, async () => {
                const verified = new Promise((resolve) => {
                    dc.on('breakpoint', (event) => {
                        if (event.body.breakpoint.verified) resolve(event.body.breakpoint);
                    });
                });
                await hitBreakpointInCalls(dc, 5);
                const breakpoint = await within(EVENT_TIMEOUT_MS, 'breakpoint verified event', verified);
                assert.equal(breakpoint.line, 5);
                assert.equal(breakpoint.source.path, CALLS);
            });

            test('continue runs from the breakpoint to the end', TEST, async () => {
                await hitBreakpointInCalls(dc, 5);
                const threadId = await mainThreadId(dc);
                await Promise.all([
                    dc.continueRequest({ threadId }),
                    dc.assertOutput('stdout', 'y is 3'),
                    dc.waitForEvent('terminated'),
                ]);
            });
        });

        describe('stackTrace, scopes, variables', () => {
            test('show the stopped function, its caller and its locals', TEST, async () => {
                const stack = await hitBreakpointInCalls(dc, 5);
                // Only the program's frames: the launcher's own frames must not show.
                assert.deepEqual(
                    stack.body.stackFrames.map((frame) => [frame.name, frame.line, frame.source?.path]),
                    [['add', 5, CALLS], ['<module>', 10, CALLS]],
                );
                const [top, caller] = stack.body.stackFrames;
                assert.equal(top.name, 'add');
                assert.equal(caller.name, '<module>');
                assert.equal(caller.line, 10);
                assert.deepEqual(await topFrameLocals(dc, top.id), { a: '1', b: '2' });
            });
        });

        describe('evaluate', () => {
            test('evaluates in the stopped frame; a raising expression is an error, not the end', TEST, async () => {
                const stack = await hitBreakpointInCalls(dc, 5);
                const frameId = stack.body.stackFrames[0].id;
                const sum = await dc.evaluateRequest({ expression: 'a + b * 10', frameId, context: 'repl' });
                assert.equal(sum.body.result, '21');
                await assert.rejects(
                    dc.evaluateRequest({ expression: '1 / 0', frameId, context: 'repl' }),
                    /ZeroDivisionError/,
                );
                const threadId = await mainThreadId(dc);
                await Promise.all([dc.continueRequest({ threadId }), dc.waitForEvent('terminated')]);
            });
        });

        describe('stepping', () => {
            test('stepIn, next and stepOut follow the program line by line', TEST, async () => {
                await hitBreakpointInCalls(dc, 10);
                const threadId = await mainThreadId(dc);
                assert.equal((await stepTo(dc, (a) => dc.stepInRequest(a), threadId, 5)).name, 'add');
                await stepTo(dc, (a) => dc.nextRequest(a), threadId, 6);
                assert.equal((await stepTo(dc, (a) => dc.stepOutRequest(a), threadId, 10)).name, '<module>');
                await stepTo(dc, (a) => dc.nextRequest(a), threadId, 11);
            });
        });

        describe('exceptions', () => {
            for (const filter of ['uncaught', 'raised']) {
                test(`the "${filter}" filter stops where ValueError is raised, with exceptionInfo`, TEST, async () => {
                    await dc.initializeRequest();
                    await Promise.all([
                        dc
                            .waitForEvent('initialized')
                            .then(() => dc.setExceptionBreakpointsRequest({ filters: [filter] }))
                            .then(() => dc.configurationDoneRequest()),
                        dc.launchRequest({ program: RAISES }),
                        dc.assertStoppedLocation('exception', { path: RAISES, line: 3 }),
                    ]);
                    const info = await dc.exceptionInfoRequest({ threadId: await mainThreadId(dc) });
                    assert.match(info.body.exceptionId, /ValueError/);
                    assert.match(info.body.description ?? '', /negative: -5/);
                });
            }
        });
    });
}
