// Harness for the adapter tests: the real `python -m monadapter`, driven by VS Code's own test
// client (DebugClient), over stdio and over TCP.
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
export const CALLS = path.join(DATA_DIR, 'calls.py');
export const RAISES = path.join(DATA_DIR, 'raises.py');
export const EXITS = path.join(DATA_DIR, 'exits.py');
export const LOOP = path.join(DATA_DIR, 'loop.py');
/** Prints "ready", then sleeps in a loop until it is stopped (lines 4-5). */
export const FOREVER = path.join(DATA_DIR, 'forever.py');

/** Per test: generous, since a hang (not slowness) is what it guards against. */
const TEST = { timeout: 30_000 };
/** How long DebugClient waits for one event or output in stdio mode. */
export const EVENT_TIMEOUT_MS = 10_000;
/** Set MONADAPTER_TEST_STDERR=1 to see the adapter's stderr while debugging these tests. */
const SHOW_STDERR = process.env.MONADAPTER_TEST_STDERR === '1';

/** Rejects after `ms`, naming what did not finish: TCP-mode DebugClient calls never time out themselves. */
export function within(ms, what, promise) {
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

/** A started DebugClient talking to its own `python -m monadapter` over stdio; `stopAdapter()` kills it. */
export async function startStdioClient() {
    const dc = new DebugClient(PYTHON, '-mmonadapter', 'monadapter', {}, SHOW_STDERR);
    dc.defaultTimeout = EVENT_TIMEOUT_MS;
    await dc.start();
    return dc;
}

/**
 * How each transport opens a session: a started DebugClient and a function that ends it all.
 * Ending never leaves a process behind, even when the adapter does not answer `disconnect`.
 */
const TRANSPORTS = {
    stdio: async () => {
        const dc = await startStdioClient();
        // stopAdapter() (what stop() ends with) kills the adapter; it does nothing the second time.
        return { dc, close: () => within(EVENT_TIMEOUT_MS, 'disconnect', dc.stop()).finally(() => dc.stopAdapter()) };
    },
    tcp: async () => {
        const server = await startServer();
        const dc = new DebugClient(PYTHON, '-mmonadapter', 'monadapter');
        try {
            await within(EVENT_TIMEOUT_MS, `connecting to port ${server.port}`, dc.start(server.port));
        } catch (error) {
            server.stop();
            throw error;
        }
        return {
            dc,
            close: () => within(EVENT_TIMEOUT_MS, 'disconnect', dc.stop()).finally(server.stop),
        };
    },
};

/** Id of the program's main thread (the only one in these programs). */
export async function mainThreadId(dc) {
    const { body } = await dc.threadsRequest();
    assert.equal(body.threads.length, 1, JSON.stringify(body.threads));
    return body.threads[0].id;
}

/**
 * Launches calls.py with a breakpoint at `line` and waits until it stops there.
 *
 * monadapter, like debugpy, verifies a breakpoint on a line with code of a file on disk at once,
 * before the program runs: DebugClient's hitBreakpoint checks `setBreakpoints` answered
 * `verified: true` (its default). Resolves with the stackTrace response.
 */
export async function hitBreakpointInCalls(dc, line) {
    const [, , stack] = await dc.hitBreakpoint({ program: CALLS }, { path: CALLS, line });
    return stack;
}

/**
 * Declares `body`'s tests once per transport, each test with a fresh adapter session.
 *
 * Args:
 *   title: what the tests are about (a DAP request or feature).
 *   body: called inside each transport's describe with `test(name, fn)`, which declares a test
 *     (with the per-test timeout) whose `fn` receives the started DebugClient.
 */
export function forEachTransport(title, body) {
    for (const [transport, open] of Object.entries(TRANSPORTS)) {
        describe(`${title} (over ${transport})`, () => {
            let dc;
            let close;

            beforeEach(async () => {
                ({ dc, close } = await open());
            }, TEST);

            afterEach(async () => {
                await close();
            }, TEST);

            body((name, fn) => test(name, TEST, () => fn(dc)));
        });
    }
}
