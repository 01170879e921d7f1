// The real adapter over stdio and TCP: stepping.
import assert from 'node:assert/strict';

import { CALLS, forEachTransport, hitBreakpointInCalls, mainThreadId } from './dap.mjs';

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
