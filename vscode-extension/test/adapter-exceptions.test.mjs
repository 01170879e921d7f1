// The real adapter over stdio and TCP: exception breakpoints.
import assert from 'node:assert/strict';

import { forEachTransport, mainThreadId, RAISES } from './dap.mjs';

forEachTransport('exceptions', (test) => {
    test('initialize offers the "raised" and "uncaught" filters', async (dc) => {
        const { body } = await dc.initializeRequest();
        const filters = (body.exceptionBreakpointFilters ?? []).map((filter) => filter.filter);
        assert.ok(filters.includes('raised') && filters.includes('uncaught'), `filters: ${filters}`);
    });

    for (const filter of ['uncaught', 'raised']) {
        test(`the "${filter}" filter stops where ValueError is raised, with exceptionInfo`, async (dc) => {
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
