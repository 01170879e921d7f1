// The real adapter over stdio and TCP: breakpoints, then what the stopped program looks like.
import assert from 'node:assert/strict';

import { CALLS, forEachTransport, hitBreakpointInCalls, LOOP, mainThreadId } from './dap.mjs';

/** The frame's first scope whose name says "Locals". */
async function localsScope(dc, frameId) {
    const { body } = await dc.scopesRequest({ frameId });
    const locals = body.scopes.find((scope) => /local/i.test(scope.name));
    assert.ok(locals, `no Locals scope in ${JSON.stringify(body.scopes)}`);
    return locals;
}

/** The frame's local variables as {name: value}. */
async function localsOf(dc, frameId) {
    const { variablesReference } = await localsScope(dc, frameId);
    const variables = await dc.variablesRequest({ variablesReference });
    return Object.fromEntries(variables.body.variables.map((variable) => [variable.name, variable.value]));
}

forEachTransport('setBreakpoints', (test) => {
    test('verifies a breakpoint in a file on disk at once, before its code runs, then stops there', async (dc) => {
        await dc.initializeRequest();
        const launched = dc.launchRequest({ program: CALLS });
        await dc.waitForEvent('initialized');
        const { body } = await dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: 5 }] });
        assert.deepEqual(
            body.breakpoints.map((breakpoint) => [breakpoint.verified, breakpoint.line, breakpoint.source.path]),
            [[true, 5, CALLS]],
        );
        await Promise.all([
            dc.assertStoppedLocation('breakpoint', { path: CALLS, line: 5 }),
            dc.configurationDoneRequest(),
            launched,
        ]);
    });

    test('continue runs from the breakpoint to the end', async (dc) => {
        await hitBreakpointInCalls(dc, 5);
        const threadId = await mainThreadId(dc);
        await Promise.all([
            dc.continueRequest({ threadId }),
            dc.assertOutput('stdout', 'y is 3'),
            dc.waitForEvent('terminated'),
        ]);
    });
});

forEachTransport('stackTrace, scopes, variables', (test) => {
    test('show the stopped function, its caller and its locals', async (dc) => {
        const stack = await hitBreakpointInCalls(dc, 5);
        // Only the program's frames: the launcher's own frames must not show.
        assert.deepEqual(
            stack.body.stackFrames.map((frame) => [frame.name, frame.line, frame.source?.path]),
            [['add', 5, CALLS], ['<module>', 10, CALLS]],
        );
        assert.deepEqual(await localsOf(dc, stack.body.stackFrames[0].id), { a: '1', b: '2' });
    });

    test('setVariable changes a local, and the program goes on with the new value', async (dc) => {
        const stack = await hitBreakpointInCalls(dc, 5);
        const { variablesReference } = await localsScope(dc, stack.body.stackFrames[0].id);
        const set = await dc.setVariableRequest({ variablesReference, name: 'a', value: '40' });
        assert.equal(set.body.value, '40');
        await Promise.all([
            dc.continueRequest({ threadId: await mainThreadId(dc) }),
            dc.assertOutput('stdout', 'y is 42'),
            dc.waitForEvent('terminated'),
        ]);
    });
});

forEachTransport('evaluate', (test) => {
    test('evaluates in the stopped frame; a raising expression is an error, not the end', async (dc) => {
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

/**
 * Launches `program` with `breakpoints` set in it, the way VS Code orders it: launch, then on
 * `initialized` setBreakpoints and configurationDone.
 */
function launchWithBreakpoints(dc, program, breakpoints) {
    return Promise.all([
        dc
            .waitForEvent('initialized')
            .then(() => dc.setBreakpointsRequest({ source: { path: program }, breakpoints }))
            .then(() => dc.configurationDoneRequest()),
        dc.launch({ program }),
    ]);
}

/** Evaluates `expression` in the top frame of the stopped program. */
async function valueInTopFrame(dc, stack, expression) {
    const frameId = stack.body.stackFrames[0].id;
    return (await dc.evaluateRequest({ expression, frameId, context: 'watch' })).body.result;
}

forEachTransport('conditions and logpoints', (test) => {
    test('initialize says conditions, hit counts and log messages are supported', async (dc) => {
        const { body } = await dc.initializeRequest();
        assert.equal(body.supportsConditionalBreakpoints, true);
        assert.equal(body.supportsHitConditionalBreakpoints, true);
        assert.equal(body.supportsLogPoints, true);
    });

    test('a conditional breakpoint stops only when its condition holds', async (dc) => {
        const [stack] = await Promise.all([
            dc.assertStoppedLocation('breakpoint', { path: LOOP, line: 3 }),
            launchWithBreakpoints(dc, LOOP, [{ line: 3, condition: 'i == 3' }]),
        ]);
        assert.equal(await valueInTopFrame(dc, stack, 'i'), '3');
        await Promise.all([
            dc.continueRequest({ threadId: await mainThreadId(dc) }),
            dc.assertOutput('stdout', 'total 10'),
            dc.waitForEvent('terminated'),
        ]);
    });

    test('a hit count stops on that hit', async (dc) => {
        const [stack] = await Promise.all([
            dc.assertStoppedLocation('breakpoint', { path: LOOP, line: 3 }),
            launchWithBreakpoints(dc, LOOP, [{ line: 3, hitCondition: '2' }]),
        ]);
        assert.equal(await valueInTopFrame(dc, stack, 'i'), '1');
    });

    test('a logpoint writes its message on every hit and never stops', async (dc) => {
        let logged = '';
        dc.on('output', (event) => {
            // stdout, as debugpy's logpoints: the category every client shows by default
            if (event.body.category === 'stdout') logged += event.body.output;
        });
        dc.on('stopped', (event) => assert.fail(`stopped (${event.body.reason}) at a logpoint`));
        await Promise.all([
            launchWithBreakpoints(dc, LOOP, [{ line: 3, logMessage: 'i is {i}, total {total}' }]),
            dc.waitForEvent('terminated'),
        ]);
        // the program's own line comes through its stdout pipe, the log lines from the agent: either may come first
        assert.ok(logged.includes('total 10\n'), logged);
        const lines = logged.split('\n').filter((line) => line.startsWith('i is'));
        assert.deepEqual(lines, ['i is 0, total 0', 'i is 1, total 0', 'i is 2, total 1', 'i is 3, total 3', 'i is 4, total 6']);
    });
});
