// The real adapter over stdio and TCP: stepping.
import assert from 'node:assert/strict';

import { CALLS, FOREVER, forEachTransport, hitBreakpointInCalls, mainThreadId } from './dap.mjs';

/** Sends `step(threadId)` and checks where the program stops next, reason "step". */
async function stepTo(dc, step, threadId, line) {
    const [, stack] = await Promise.all([step({ threadId }), dc.assertStoppedLocation('step', { path: CALLS, line })]);
    return stack.body.stackFrames[0];
}

forEachTransport('stepping', (test) => {
    test('stepIn, next and stepOut follow the program line by line', async (dc) => {
        await hitBreakpointInCalls(dc, 10);
        const threadId = await mainThreadId(dc);
        assert.equal((await stepTo(dc, (a) => dc.stepInRequest(a), threadId, 5)).name, 'add');
        await stepTo(dc, (a) => dc.nextRequest(a), threadId, 6);
        assert.equal((await stepTo(dc, (a) => dc.stepOutRequest(a), threadId, 10)).name, '<module>');
        await stepTo(dc, (a) => dc.nextRequest(a), threadId, 11);
    });
});

forEachTransport('pause', (test) => {
    test('pause (VS Code\'s pause button) stops a running program; continue resumes it', async (dc) => {
        await Promise.all([dc.configurationSequence(), dc.launch({ program: FOREVER }), dc.assertOutput('stdout', 'ready')]);
        const threadId = await mainThreadId(dc);
        for (const round of [1, 2]) {
            // The second round shows that continue resumed the program: only a running one pauses.
            const [, stopped] = await Promise.all([dc.pauseRequest({ threadId }), dc.waitForEvent('stopped')]);
            assert.equal(stopped.body.reason, 'pause', `round ${round}`);
            const { body } = await dc.stackTraceRequest({ threadId });
            assert.ok([4, 5].includes(body.stackFrames[0].line), `round ${round}: paused at ${body.stackFrames[0].line}`);
            await dc.continueRequest({ threadId });
        }
        await Promise.all([dc.terminateRequest(), dc.waitForEvent('terminated')]);
    });
});
