// The real adapter over stdio: attach to a program started with `python -m monadapter --listen`.
//
// These tests own their session (not forEachTransport's): they disconnect themselves, which ends a
// stdio adapter, and then check that the program, which is not the adapter's, runs on to its end.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, test } from 'node:test';

import { CALLS, EVENT_TIMEOUT_MS, mainThreadId, startStdioClient, within } from './dap.mjs';
import { monadapterPython } from './support.mjs';

const TEST = { timeout: 30_000 };
/** The access token the program is started with (attach must give it). */
const TOKEN = 'extension-test-token';

/**
 * Starts `python -m monadapter --listen 127.0.0.1:0 --wait-for-client --access-token TOKEN PROGRAM`
 * (port 0: the agent picks a free port and prints `monadapter agent listening on HOST:PORT` on stderr;
 * it lets in only a debugger that gives TOKEN as attach's `accessToken`).
 *
 * Returns:
 *   `{ port, ended, kill }`: `ended` resolves with `{ code, stdout, stderr }` once the program
 *   exits; `kill()` ends it if it still runs.
 */
async function startListening(program) {
    const options = ['--listen', '127.0.0.1:0', '--wait-for-client', '--access-token', TOKEN];
    const child = spawn(monadapterPython(), ['-m', 'monadapter', ...options, program], {
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk) => (output.stdout += chunk));
    child.stderr.on('data', (chunk) => (output.stderr += chunk));
    const ended = new Promise((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, ...output }));
    });
    const kill = () => {
        if (child.exitCode === null && child.signalCode === null) child.kill();
    };
    const listening = new Promise((resolve, reject) => {
        child.stderr.on('data', () => {
            const match = /monadapter agent listening on 127\.0\.0\.1:(\d+)\n/.exec(output.stderr);
            if (match) resolve(Number(match[1]));
        });
        ended.then((end) => reject(new Error(`the program exited (${end.code}) before listening: ${end.stderr}`)));
    });
    try {
        const port = await within(EVENT_TIMEOUT_MS, 'the agent announcing its port', listening);
        return { port, ended: within(EVENT_TIMEOUT_MS, 'the program ending', ended), kill };
    } catch (error) {
        kill();
        throw error;
    }
}

describe('attach (over stdio)', () => {
    let dc;
    let program;
    let disconnected;

    beforeEach(async () => {
        program = await startListening(CALLS);
        dc = await startStdioClient();
        disconnected = false;
    }, TEST);

    afterEach(async () => {
        try {
            // A stdio adapter ends with its session's disconnect; one the test did not reach is sent here.
            if (!disconnected) await within(EVENT_TIMEOUT_MS, 'disconnect', dc.stop());
        } finally {
            dc.stopAdapter();
            program.kill();
        }
    }, TEST);

    /** Ends the session (attach: the program is detached, not terminated); the adapter then exits. */
    async function disconnect() {
        disconnected = true;
        await dc.disconnectRequest({});
    }

    /**
     * initialize, attach to the listening program with `options`, set breakpoints at `lines`.
     * Resolves with `{ attached }`: the attach response, which comes after configurationDone.
     */
    async function attach(options, lines) {
        await dc.initializeRequest();
        const initialized = dc.waitForEvent('initialized');
        const attached = dc.attachRequest({ connect: { host: 'localhost', port: program.port }, accessToken: TOKEN, ...options });
        await initialized;
        await dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: lines.map((line) => ({ line })) });
        return { attached };
    }

    test('stops at a breakpoint; disconnect leaves the program running to its end', TEST, async () => {
        const { attached } = await attach({}, [5]);
        await Promise.all([
            dc.configurationDoneRequest().then(() => attached),
            dc.assertStoppedLocation('breakpoint', { path: CALLS, line: 5 }),
        ]);
        await mainThreadId(dc); // the session answers while the program is paused
        await disconnect(); // attach: terminateDebuggee defaults to false
        assert.deepEqual(await program.ended, {
            code: 0,
            stdout: 'y is 3\n',
            stderr: `monadapter agent listening on 127.0.0.1:${program.port}\ndone on stderr\n`,
        });
    });

    test('stopOnEntry reaches the agent: the program stops before its first line', TEST, async () => {
        const { attached } = await attach({ stopOnEntry: true }, []);
        await Promise.all([
            dc.configurationDoneRequest().then(() => attached),
            dc.assertStoppedLocation('entry', { path: CALLS, line: 1 }),
        ]);
        await Promise.all([
            dc.continueRequest({ threadId: await mainThreadId(dc) }),
            dc.waitForEvent('terminated'),
        ]);
        assert.equal((await program.ended).code, 0);
        await disconnect();
    });

    test('a port that is not a number is refused with a message naming it; one given as text works', TEST, async () => {
        await dc.initializeRequest();
        await assert.rejects(
            dc.attachRequest({ connect: { host: 'localhost', port: 'five' }, accessToken: TOKEN }),
            /invalid attach arguments: connect\.port: Input should be a valid integer/,
        );
        // The session goes on; a port as text (what a ${input:...} variable substitutes) is the number it spells.
        const initialized = dc.waitForEvent('initialized');
        const attached = dc.attachRequest({ connect: { host: 'localhost', port: String(program.port) }, accessToken: TOKEN });
        await initialized;
        await Promise.all([dc.configurationDoneRequest(), attached, dc.waitForEvent('terminated')]);
        assert.equal((await program.ended).stdout, 'y is 3\n');
        await disconnect();
    });
});
